import { ShiftworkError, ValidationError } from "../errors.js";
import type {
  ErrorInfo,
  ExecutionContext,
  FromContext,
  SpawnOptions,
  ToContext,
} from "../ports.js";
import { type TickBatch, tickBatch } from "./tick-batch.js";

/** A started thread as the pool sees it: where batches of messages go, and how it is ended. */
export interface PooledThread {
  post(batch: ToContext[]): void;
  terminate(): unknown;
}

/** Where a runtime reports what one of its threads does. */
export interface ThreadEvents {
  /** A batch of messages the thread sent (one postMessage). */
  message(batch: readonly FromContext[]): void;
  /** The thread died by itself (uncaught error, exit, out of memory); not after `terminate()`. */
  exit(error: ErrorInfo): void;
}

/** Options of {@link threadPool}: the runtime-specific part of a thread Scheduler. */
export interface ThreadPoolOptions {
  /**
   * Most threads at once; contexts beyond it share the least-loaded thread. `undefined`: a thread
   * of its own for every context.
   */
  threads: number | undefined;
  /** Starts one thread; resolves once its job module is loaded. `label` names it for debugging. */
  start(label: string, events: ThreadEvents): Promise<PooledThread>;
  /** The error a context gets when its thread is ended for it, e.g. `thread terminated: …`. */
  exitError(reason: string): ErrorInfo;
  /** Clock of {@link ThreadPool.killLongestBusy} (default `Date.now`). */
  now?: () => number;
}

/** Execution contexts multiplexed over a bounded set of threads. */
export interface ThreadPool {
  spawn(options: SpawnOptions): Promise<ExecutionContext>;
  /**
   * Ends the thread running the job that started longest ago (a memory watchdog's culprit); every
   * context on it gets `onExit` with `reason`. False when no job is running.
   */
  killLongestBusy(reason: string): boolean;
  /** Terminates every thread; no context gets `onExit` after this. */
  close(): Promise<void>;
}

interface Slot {
  label: string;
  thread: PooledThread | undefined;
  ready: Promise<PooledThread>;
  contexts: Set<Attached>;
  /** Routes replies (`done`, `progress`, `log`) by the lease token of the run they belong to. */
  byToken: Map<string, Attached>;
  /** Everything the thread's contexts send in one tick: one `postMessage`. */
  outbox: TickBatch<ToContext>;
  dead: boolean;
}

interface Attached {
  slot: Slot;
  options: SpawnOptions;
  /** Lease tokens of jobs sent to run whose `done` has not come back, with when they were sent. */
  running: Map<string, number>;
  /** `spawn` has returned it: it may be told its thread died. */
  live: boolean;
  detached: boolean;
}

/**
 * The host-independent part of a thread Scheduler (Node worker_threads, Bun Web Workers): gives
 * every Manager Worker an execution context and, with `threads` set, lets several share one thread.
 * The executor in a thread already runs many jobs at once keyed by job id, so sharing only routes
 * replies back to their context, and one postMessage per tick carries every context's messages.
 *
 * The price of sharing is fate: a thread that dies takes every context on it along (each gets
 * `onExit`, so the Manager fails their jobs and respawns them on a live thread), and the only way
 * to stop a handler stuck in a CPU-bound loop is to end its whole thread.
 */
export function threadPool(options: ThreadPoolOptions): ThreadPool {
  const max = options.threads ?? Number.POSITIVE_INFINITY;
  if (!(max >= 1) || (options.threads !== undefined && !Number.isInteger(max))) {
    throw new ValidationError("scheduler options", [
      { path: "threads", message: "expected a positive integer" },
    ]);
  }
  const now = options.now ?? (() => Date.now());
  const slots = new Set<Slot>();
  let started = 0;
  /** After `close`, no thread starts again: a spawn is refused, not given a fresh thread. */
  let closed = false;

  function startSlot(workerId: string): Slot {
    // One thread per context keeps the Worker's id as the thread's name, as it always had.
    const label = Number.isFinite(max) ? `thread ${++started}` : workerId;
    const slot: Slot = {
      label,
      thread: undefined,
      ready: options
        .start(label, {
          message: (batch) => deliver(slot, batch),
          exit: (error) => died(slot, error),
        })
        .then(
          (thread) => {
            slot.thread = thread;
            if (slot.dead) void thread.terminate();
            return thread;
          },
          (error: unknown) => {
            retire(slot);
            throw error;
          },
        ),
      contexts: new Set(),
      byToken: new Map(),
      outbox: tickBatch((batch) => {
        if (!slot.dead) slot.thread?.post(batch);
      }),
      dead: false,
    };
    slots.add(slot);
    return slot;
  }

  function pick(workerId: string): Slot {
    if (slots.size < max) return startSlot(workerId);
    let best: Slot | undefined;
    for (const slot of slots) if (!best || slot.contexts.size < best.contexts.size) best = slot;
    return best as Slot;
  }

  function retire(slot: Slot): void {
    slot.dead = true;
    slot.outbox.clear();
    slots.delete(slot);
  }

  function deliver(slot: Slot, batch: readonly FromContext[]): void {
    if (slot.dead) return;
    for (const message of batch) {
      // A reply can stop a Worker whose context then ends the thread: the rest are void.
      if (slot.dead) return;
      const owner = slot.byToken.get(message.token);
      if (!owner || owner.detached) continue;
      if (message.type === "done") {
        owner.running.delete(message.token);
        slot.byToken.delete(message.token);
      }
      owner.options.onMessage(message);
    }
  }

  function died(slot: Slot, error: ErrorInfo): void {
    if (slot.dead) return;
    retire(slot);
    orphan(slot, error);
  }

  /** The thread is gone: every context that `spawn` returned on it learns so. */
  function orphan(slot: Slot, error: ErrorInfo): void {
    for (const context of slot.contexts) {
      if (!context.live || context.detached) continue;
      context.detached = true;
      context.options.onExit(error);
    }
  }

  function detach(context: Attached): void {
    const { slot } = context;
    context.detached = true;
    slot.contexts.delete(context);
    for (const token of context.running.keys()) slot.byToken.delete(token);
  }

  /**
   * One context ends. An idle one just leaves its thread to the others; one with a handler still
   * running (ignoring its abort past the grace, or left behind by a stop) can only be stopped by
   * ending the thread, and the contexts sharing it lose their jobs with it.
   */
  async function terminate(context: Attached): Promise<void> {
    if (context.detached) return;
    const { slot } = context;
    const busy = context.running.size > 0;
    detach(context);
    if (slot.dead) return;
    if (!busy && slot.contexts.size > 0) return;
    const thread = slot.thread as PooledThread;
    // Told after the caller's own bookkeeping, not from inside its terminate() call.
    const error = options.exitError(
      `terminated to stop a handler of ${context.options.workerId} that shared it`,
    );
    retire(slot);
    queueMicrotask(() => orphan(slot, error));
    await thread.terminate();
  }

  async function spawn(spawnOptions: SpawnOptions): Promise<ExecutionContext> {
    if (closed) throw new ShiftworkError("[shiftwork] the scheduler is closed: no context spawns");
    const slot = pick(spawnOptions.workerId);
    const context: Attached = {
      slot,
      options: spawnOptions,
      running: new Map(),
      live: false,
      detached: false,
    };
    slot.contexts.add(context);
    try {
      await slot.ready;
    } catch (error) {
      slot.contexts.delete(context);
      throw error;
    }
    if (slot.dead) {
      // The pool closed, or its thread died (a job of a context sharing it), while this one
      // waited for it to load.
      slot.contexts.delete(context);
      return spawn(spawnOptions);
    }
    context.live = true;
    return {
      send(message) {
        if (context.detached || slot.dead) return;
        if (message.type === "run") {
          context.running.set(message.job.token, now());
          slot.byToken.set(message.job.token, context);
        }
        slot.outbox.add(message);
      },
      terminate: () => terminate(context),
    };
  }

  return {
    spawn,
    killLongestBusy(reason) {
      let culprit: Slot | undefined;
      let since = Number.POSITIVE_INFINITY;
      for (const slot of slots) {
        for (const context of slot.contexts) {
          for (const sent of context.running.values()) {
            if (sent < since) [culprit, since] = [slot, sent];
          }
        }
      }
      if (!culprit) return false;
      const thread = culprit.thread;
      died(culprit, options.exitError(`terminated: ${reason}`));
      void thread?.terminate();
      return true;
    },
    async close() {
      closed = true;
      const threads: PooledThread[] = [];
      for (const slot of [...slots]) {
        for (const context of slot.contexts) context.detached = true;
        retire(slot);
        if (slot.thread) threads.push(slot.thread);
      }
      await Promise.all(threads.map((thread) => thread.terminate()));
    },
  };
}
