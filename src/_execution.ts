import type { GroupCommit } from "./_group-commit.js";
import { type EventTag, eventInit, type ManagerHost } from "./_host.js";
import { type LongTimer, longTimeout } from "./_long-timer.js";
import { decide, type ResultBody } from "./_outcome.js";
import type { PlannedJob } from "./_plan.js";
import type { AnyJobDefinition } from "./define.js";
import { errorInfo, ShiftworkError, TimeoutError } from "./errors.js";
import type {
  ClaimedJob,
  ErrorInfo,
  ExecutionContext,
  FromContext,
  JobResult,
  LeaseStatus,
  RunOutcome,
  ToContext,
} from "./ports.js";
import type { Worker } from "./worker.js";

/** A job a Worker here runs, with its `timeout` timer. */
export interface InFlight {
  job: ClaimedJob;
  worker: Worker;
  timer?: LongTimer;
}

/** A Worker whose handler was taken off its job and has not returned yet. */
interface Overdue {
  worker: Worker;
  timer: LongTimer;
}

/** What {@link Execution} needs besides the {@link ManagerHost}. */
export interface ExecutionOptions {
  jobs: Map<string, PlannedJob>;
  /** Queued results: every outcome, timeout, cancel and release becomes one. */
  results: GroupCommit<EventTag>;
  /** How long a handler whose signal fired may take to return before its context is replaced. */
  graceMs: number;
  random: () => number;
  /** A Worker's context died and was replaced: it may take a job. */
  respawned(): void;
}

/**
 * The execution side of the Manager: gives claimed jobs to Workers' execution contexts, turns what
 * the contexts report into fenced results, enforces timeouts, cancels and lost leases, and replaces
 * contexts that die or whose handlers do not return.
 */
export class Execution {
  readonly #host: ManagerHost;
  readonly #jobs: Map<string, PlannedJob>;
  readonly #definitions: Map<string, AnyJobDefinition>;
  readonly #results: GroupCommit<EventTag>;
  readonly #graceMs: number;
  readonly #random: () => number;
  readonly #respawned: () => void;
  readonly #inFlight = new Map<string, InFlight>();
  /** Jobs taken from a handler that has not returned yet (timeout, cancel, lost lease). */
  readonly #overdue = new Map<string, Overdue>();
  #idleWaiters: (() => void)[] = [];
  /** The pending retry of a Worker whose context failed to spawn: at most one per Worker. */
  readonly #retries = new Map<Worker, ReturnType<typeof setTimeout>>();
  /** Set once stop closes the scheduler (see `#spawnFailed`). */
  #schedulerClosed = false;

  constructor(host: ManagerHost, options: ExecutionOptions) {
    this.#host = host;
    this.#jobs = options.jobs;
    this.#definitions = new Map([...options.jobs].map(([name, job]) => [name, job.definition]));
    this.#results = options.results;
    this.#graceMs = options.graceMs;
    this.#random = options.random;
    this.#respawned = options.respawned;
  }

  /** How many jobs run here. */
  get size(): number {
    return this.#inFlight.size;
  }

  /** The jobs running here, in the order they started. */
  held(): InFlight[] {
    return [...this.#inFlight.values()];
  }

  /** Calls `resolve` when the last job running here ends (callers look at `size` first). */
  onIdle(resolve: () => void): void {
    this.#idleWaiters.push(resolve);
  }

  /** Starts an execution context for `worker`. */
  spawn(worker: Worker): ExecutionContext | Promise<ExecutionContext> {
    return this.#host.scheduler.spawn({
      workerId: worker.id,
      jobs: this.#definitions,
      onMessage: (message) => this.#onMessage(worker, message),
      onExit: (error) => this.#onContextExit(worker, error),
    });
  }

  /** Gives a claimed job to an idle Worker: `active`, its timeout timer, then its handler. */
  dispatch(worker: Worker, job: ClaimedJob): void {
    const entry: InFlight = { job, worker };
    this.#inFlight.set(job.id, entry);
    worker._assign(job.id);
    this.#host.emit("active", eventInit(job));
    const timeoutMs = this.#jobs.get(job.name)?.timeoutMs;
    if (timeoutMs !== undefined) {
      entry.timer = longTimeout(() => this.#onTimeout(entry, timeoutMs), timeoutMs);
    }
    const { id, leaseToken: token, name, input, attempt, maxAttempts } = job;
    worker.context?.send({ type: "run", job: { id, token, name, input, attempt, maxAttempts } });
  }

  /** Acts on a heartbeat's answer for `entry` (one of {@link held}), if it still runs here. */
  renewed(entry: InFlight, status: LeaseStatus): void {
    if (this.#inFlight.get(entry.job.id) !== entry) return;
    if (status === "lost") {
      // Someone rescued the job: stop running it here; its result would be refused anyway.
      this.#drop(entry, false);
      this.#abandon(entry, abortOf(entry.job, "shutdown"));
      this.#host.emit("stale", { ...eventInit(entry.job), refused: "extendLeases" });
    } else if (status === "cancel-requested") {
      this.#cancelLocal(entry, "cancelled");
    }
  }

  /** Cancels the job if it runs here (signal aborted, `cancelled` queued); false if it does not. */
  cancel(jobId: string, reason: string): boolean {
    const local = this.#inFlight.get(jobId);
    if (!local) return false;
    this.#cancelLocal(local, reason);
    return true;
  }

  /**
   * Stop gave up waiting: aborts every running handler (reason `shutdown`) and releases its job,
   * then stops waiting for handlers that ignored an earlier abort, replacing their contexts.
   */
  releaseAll(): void {
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
    for (const entry of [...this.#inFlight.values()]) {
      entry.worker.context?.send(abortOf(entry.job, "shutdown"));
      this.#settle(entry, { kind: "released" }, ["released", eventInit(entry.job)]);
    }
    for (const [id, overdue] of this.#overdue) this.#replaceContext(id, overdue);
  }

  /** Announces a written result (its event), or a refused one (`stale`). */
  announce(tag: EventTag | undefined, result: JobResult, written: boolean): void {
    if (written) {
      if (tag) this.#host.emit(tag[0], tag[1]);
      return;
    }
    const init = tag?.[1];
    this.#host.emit("stale", {
      jobId: result.id,
      name: init?.name ?? "",
      queue: init?.queue ?? "",
      attempt: init?.attempt ?? 0,
      refused: result.kind,
    });
  }

  #onMessage(worker: Worker, message: FromContext): void {
    const entry = this.#inFlight.get(message.id);
    if (message.type === "log") {
      this.#host.emit("log", {
        jobId: message.id,
        name: entry?.job.name ?? "",
        queue: entry?.job.queue ?? "",
        attempt: entry?.job.attempt ?? 0,
        message: message.message,
        ...(message.data === undefined ? {} : { data: message.data }),
      });
      return;
    }
    // A handler taken off its job (timeout, cancel, lost lease) returned at last: the worker is free.
    const overdue = this.#overdue.get(message.id);
    if (message.type === "done" && overdue?.worker === worker && entry?.worker !== worker) {
      overdue.timer.clear();
      this.#overdue.delete(message.id);
      worker._release();
      return;
    }
    // Any other message about a job this worker no longer holds: ignore it.
    if (!entry || entry.worker !== worker || entry.job.leaseToken !== message.token) return;
    if (message.type === "progress") {
      const { id, leaseToken: token } = entry.job;
      this.#results.add(
        { id, token, kind: "progress", progress: message.progress },
        undefined,
        true,
      );
      this.#host.emit("progress", { ...eventInit(entry.job), progress: message.progress });
      return;
    }
    this.#complete(entry, message.outcome);
  }

  #complete(entry: InFlight, outcome: RunOutcome, release = true): void {
    const policy = (this.#jobs.get(entry.job.name) as PlannedJob).policy;
    const decision = decide(entry.job, outcome, policy, this.#host.now(), this.#random);
    const event: EventTag = [decision.event, { ...eventInit(entry.job), ...decision.detail }];
    this.#settle(entry, decision.result, event, release);
  }

  #onTimeout(entry: InFlight, ms: number): void {
    if (this.#inFlight.get(entry.job.id) !== entry) return;
    const error = errorInfo(new TimeoutError(ms));
    this.#complete(entry, { kind: "failed", error, unrecoverable: false }, false);
    this.#abandon(entry, abortOf(entry.job, "timeout", ms));
  }

  #cancelLocal(entry: InFlight, reason: string): void {
    this.#complete(entry, { kind: "cancelled", reason }, false);
    this.#abandon(entry, abortOf(entry.job, "cancel"));
  }

  /**
   * The job was taken from its handler (its result is already queued). Abort the handler's signal
   * and keep its worker busy until the handler returns; one that does not return within the grace
   * period (a CPU-bound loop) has its context terminated and replaced.
   */
  #abandon(entry: InFlight, abort: AbortMessage): void {
    entry.worker.context?.send(abort);
    const overdue: Overdue = {
      worker: entry.worker,
      timer: longTimeout(() => this.#replaceContext(entry.job.id, overdue), this.#graceMs),
    };
    this.#overdue.set(entry.job.id, overdue);
  }

  #replaceContext(jobId: string, overdue: Overdue): void {
    if (this.#overdue.get(jobId) !== overdue) return;
    overdue.timer.clear();
    this.#overdue.delete(jobId);
    const { worker } = overdue;
    const stuck = worker.context;
    worker.context = null;
    void Promise.resolve(stuck?.terminate()).catch((error) =>
      this.#host.dispatchError("terminate", error),
    );
    if (!this.#host.started() || worker.state === "stopping" || worker.state === "stopped") {
      worker._release();
      return;
    }
    void (async () => {
      try {
        this.#adopt(worker, await this.spawn(worker));
      } catch (error) {
        this.#spawnFailed(worker, error, SPAWN_RETRY_MIN_MS);
      }
      worker._release();
    })();
  }

  /** A context died by itself: fail only its job, and replace the context. */
  #onContextExit(worker: Worker, error: ErrorInfo): void {
    const exited = new ShiftworkError(`worker ${worker.id} exited: ${error.message}`);
    this.#host.dispatchError("execution context", exited);
    const jobId = worker.currentJobId;
    const entry = jobId ? this.#inFlight.get(jobId) : undefined;
    const overdue = jobId ? this.#overdue.get(jobId) : undefined;
    if (jobId && overdue?.worker === worker) {
      // Its handler had already been taken off its job; the context's death ends the wait.
      overdue.timer.clear();
      this.#overdue.delete(jobId);
      worker.context = null;
      worker._release();
    }
    worker.context = null;
    if (entry)
      this.#complete(entry, { kind: "failed", error: errorInfo(exited), unrecoverable: false });
    if (!this.#host.started() || worker.state === "stopped") return;
    void (async () => {
      try {
        if (this.#adopt(worker, await this.spawn(worker))) this.#respawned();
      } catch (spawnError) {
        this.#spawnFailed(worker, spawnError, SPAWN_RETRY_MIN_MS);
      }
    })();
  }

  /**
   * Gives `worker` the context a replacement spawned, unless the Manager or the Worker stopped (or
   * it got one otherwise) while it loaded: that context is terminated, not left running unowned.
   */
  #adopt(worker: Worker, context: ExecutionContext): boolean {
    const wanted =
      this.#host.started() &&
      worker.state !== "stopping" &&
      worker.state !== "stopped" &&
      worker.context === null;
    if (wanted) worker.context = context;
    else
      void Promise.resolve(context.terminate()).catch((error) =>
        this.#host.dispatchError("terminate", error),
      );
    return wanted;
  }

  /**
   * A replacement failed to spawn: an `error` event, and (while the Manager runs) another try
   * `delayMs` from now. Not once stop closed the scheduler, which then refuses spawns: nothing is
   * wrong then.
   */
  #spawnFailed(worker: Worker, error: unknown, delayMs: number): void {
    if (this.#schedulerClosed) return;
    this.#host.dispatchError("spawn", error);
    this.#spawnAgain(worker, delayMs);
  }

  /** Stop is closing the scheduler: from now on a refused spawn is expected, not an error. */
  schedulerClosing(): void {
    this.#schedulerClosed = true;
  }

  /**
   * Tries again, `delayMs` from now and then with backoff, to give `worker` a context after a
   * replacement failed to spawn: a Worker without a context is never idle, so one failed spawn
   * (a thread that could not start) would otherwise cost the Manager that Worker for good. Each
   * failure is an `error` event; a stop ends the tries (`releaseAll` clears the timer).
   */
  #spawnAgain(worker: Worker, delayMs: number): void {
    if (!this.#host.started() || this.#retries.has(worker)) return;
    const timer = setTimeout(async () => {
      this.#retries.delete(worker);
      if (!this.#host.started() || worker.state === "stopping" || worker.state === "stopped")
        return;
      if (worker.context) return;
      try {
        if (this.#adopt(worker, await this.spawn(worker))) this.#respawned();
      } catch (error) {
        this.#spawnFailed(worker, error, Math.min(SPAWN_RETRY_MAX_MS, delayMs * 2));
      }
    }, delayMs);
    this.#retries.set(worker, timer);
  }

  /** Takes a job off its worker and queues its fenced result for the next group commit. */
  #settle(entry: InFlight, result: ResultBody, event: EventTag, release = true): void {
    this.#drop(entry, release);
    const { id, leaseToken: token } = entry.job;
    this.#results.add({ ...result, id, token } as JobResult, event);
  }

  #drop(entry: InFlight, release = true): void {
    entry.timer?.clear();
    this.#inFlight.delete(entry.job.id);
    if (release) entry.worker._release();
    if (this.#inFlight.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}

/** Backoff of a failed context replacement: 100 ms, doubling, at most 5 s (as storage retries). */
const SPAWN_RETRY_MIN_MS = 100;
const SPAWN_RETRY_MAX_MS = 5_000;

type AbortMessage = Extract<ToContext, { type: "abort" }>;

/** The abort of one attempt: by lease token, since two attempts of a job may share a context. */
const abortOf = (
  job: ClaimedJob,
  reason: AbortMessage["reason"],
  timeoutMs?: number,
): AbortMessage => ({
  type: "abort",
  id: job.id,
  token: job.leaseToken,
  reason,
  ...(timeoutMs === undefined ? {} : { timeoutMs }),
});
