import { ClaimLoop, type Group } from "./_claim-loop.js";
import { announceEnqueued, type EnqueueItem, prepareJob } from "./_enqueue.js";
import { Execution } from "./_execution.js";
import { GroupCommit } from "./_group-commit.js";
import { type EventTag, eventInit, type JobEventType, type ManagerHost } from "./_host.js";
import { ListenedEventTarget } from "./_listened-target.js";
import { longTimeout } from "./_long-timer.js";
import { type PlannedJob, planGroups, planJobs } from "./_plan.js";
import { markTrusted } from "./_trust.js";
import type { AnyJobDefinition, InputOf } from "./define.js";
import { ShiftworkError, StorageError, ValidationError } from "./errors.js";
import {
  JobEvent,
  type JobEventInit,
  type LiveEvent,
  ManagerErrorEvent,
  subscribeJobEvents,
} from "./events.js";
import {
  type EnqueueOptions,
  type ListOptions as ListOptionsInput,
  listOptionsSchema,
  managerSettingsSchema,
  pruneOptionsSchema,
  stopOptionsSchema,
} from "./options.js";
import {
  byQueueName,
  emptyQueueStats,
  isPromise,
  type JobPage,
  type JobRecord,
  type MaybePromise,
  type NewJob,
  type QueueStats,
  type Scheduler,
  type Storage,
} from "./ports.js";
import { parseOrThrow } from "./validate.js";
import { Worker } from "./worker.js";

export type { EnqueueItem } from "./_enqueue.js";

/** A job module: an array of definitions, or a module namespace whose exports include them. */
export type JobModule = readonly AnyJobDefinition[] | Record<string, unknown>;

type DefinitionsOf<M> = M extends readonly (infer D)[]
  ? D
  : {
      [K in keyof M]: M[K] extends AnyJobDefinition
        ? M[K]
        : M[K] extends readonly (infer D extends AnyJobDefinition)[]
          ? D
          : never;
    }[keyof M];
type NameOf<M> = DefinitionsOf<M> extends { name: infer N extends string } ? N : never;
type InputByName<M, N> = InputOf<Extract<DefinitionsOf<M>, { name: N }>>;

/** Options of {@link createManager}. */
export interface ManagerOptions<M extends JobModule> {
  storage: Storage;
  scheduler: Scheduler;
  /** The job definitions: an array, or `import * as jobs from "./jobs.js"`. */
  jobs: M;
  /** How many Workers serve each job name or queue, e.g. `{ "email.send": 4, default: 2 }`. */
  workers: Record<string, number>;
  /** How long a claim holds a job before others may rescue it. Default 30s. */
  lease?: number | string;
  /** How often the leases of in-flight jobs are renewed. Default a third of the lease. */
  heartbeat?: number | string;
  /** How often expired leases of other (dead) processes are looked for. Default 5s. */
  rescueInterval?: number | string;
  /** Default deadline of a graceful `stop`. Default 30s. */
  stopTimeout?: number | string;
  /**
   * How long a handler whose signal fired (timeout, cancel) may take to return before its execution
   * context (thread) is terminated and replaced. Its worker takes no other job meanwhile. Default 5s.
   */
  abortGrace?: number | string;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Source of randomness for backoff jitter. Default `Math.random`. */
  random?: () => number;
}

/** Filters of {@link Manager.list}. */
export type ListOptions = ListOptionsInput;

/**
 * Owns the Workers and is the only thing that talks to storage: claims in batches, renews every
 * lease it holds in one call, group-commits results fenced by their lease tokens, and rescues the
 * expired leases of processes that died. Dispatches {@link JobEvent}s.
 *
 * The Manager itself holds the life cycle, the public verbs and the one gate to storage; the claim
 * loop (`_claim-loop.ts`) and the execution side (`_execution.ts`) reach it only through a
 * {@link ManagerHost}.
 */
export class Manager<M extends JobModule = JobModule> extends ListenedEventTarget {
  readonly #storage: Storage;
  readonly #scheduler: Scheduler;
  readonly #jobs: Map<string, PlannedJob>;
  readonly #workers: Worker[] = [];
  readonly #results: GroupCommit<EventTag>;
  readonly #host: ManagerHost;
  readonly #execution: Execution;
  readonly #loop: ClaimLoop;
  readonly #now: () => number;
  readonly #stopTimeoutMs: number;

  #state: "new" | "starting" | "started" | "stopping" | "stopped" = "new";
  #unsubscribe: (() => void) | undefined;
  #starting: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  #forceStop: (() => void) | undefined;

  constructor(options: ManagerOptions<M>) {
    super();
    if (!options || typeof options !== "object") {
      throw new ValidationError("manager options", [
        { path: "options", message: "expected an object" },
      ]);
    }
    const issues = [];
    if (!options.storage || typeof options.storage.claim !== "function") {
      issues.push({ path: "storage", message: "expected a Storage (e.g. memoryStorage())" });
    }
    if (!options.scheduler || typeof options.scheduler.spawn !== "function") {
      issues.push({ path: "scheduler", message: "expected a Scheduler (e.g. inlineScheduler())" });
    }
    if (issues.length) throw new ValidationError("manager options", issues);
    const settings = parseOrThrow(managerSettingsSchema, options, "manager options", "");
    this.#storage = options.storage;
    this.#scheduler = options.scheduler;
    this.#jobs = planJobs(options.jobs);
    this.#now = options.now ?? (() => Date.now());
    this.#stopTimeoutMs = settings.stopTimeout;
    const groups: Group[] = planGroups(settings.workers, this.#jobs).map((plan) => ({
      ...plan,
      workers: Array.from({ length: plan.count }, (_, i) => {
        const worker = new Worker(`${plan.key}#${i + 1}`, plan.key, plan.queue, {
          wantsWork: () => this.#loop.requestPump(),
          stopped: (w) => void w.context?.terminate(),
          written: () => this.#results.flush(),
        });
        this.#workers.push(worker);
        return worker;
      }),
    }));
    const delivered = this.#scheduler.delivered?.bind(this.#scheduler);
    this.#results = new GroupCommit<EventTag>({
      write: (results) => this.#loop.writeResults(results),
      settled: (tag, result, written) => this.#execution.announce(tag, result, written),
      failed: (error) => this.#dispatchError("record", error),
      // Jobs claimed with the results start after those results' events: a retried job's
      // `retrying` comes before its next `active`.
      batchSettled: () => this.#loop.resultsSettled(),
      ...(delivered ? { gathered: delivered } : {}),
    });
    this.#host = {
      storage: this.#storage,
      scheduler: this.#scheduler,
      now: () => this.#now(),
      started: () => this.#state === "started",
      call: (verb, fn) => this.#call(verb, fn),
      callNow: (verb, fn) => this.#callNow(verb, fn),
      emit: (type, init) => this.#emit(type, init),
      dispatchError: (during, error) => this.#dispatchError(during, error),
    };
    this.#execution = new Execution(this.#host, {
      jobs: this.#jobs,
      results: this.#results,
      graceMs: settings.abortGrace,
      random: options.random ?? Math.random,
      respawned: () => this.#loop.requestPump(),
    });
    this.#loop = new ClaimLoop(this.#host, {
      groups,
      workers: this.#workers,
      results: this.#results,
      execution: this.#execution,
      leaseMs: settings.lease,
      heartbeatMs: settings.heartbeat ?? Math.max(1, Math.floor(settings.lease / 3)),
      rescueMs: settings.rescueInterval,
    });
  }

  // ---- life cycle -------------------------------------------------------------------------

  /** Migrates storage, starts an execution context per Worker, and begins claiming. */
  start(): Promise<void> {
    if (this.#state !== "new") {
      return Promise.reject(new ShiftworkError(`start: manager is already ${this.#state}`));
    }
    this.#state = "starting";
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    await this.#call("migrate", () => this.#storage.migrate());
    for (const worker of this.#workers) worker.context = await this.#execution.spawn(worker);
    // stop() was called while starting: it waits for this, then tears down what was made.
    if (this.#state !== "starting") return;
    this.#state = "started";
    // A Manager without Workers (one that only enqueues) claims nothing: no change notices.
    if (this.#workers.length > 0) {
      this.#unsubscribe = this.#storage.subscribe?.(() => this.#loop.requestPump());
    }
    this.#loop.start();
  }

  /**
   * Stops claiming; lets in-flight jobs finish until `timeout`, then aborts their signals and
   * releases their leases so any process can take them at once. `graceful: false` does not wait;
   * called while a graceful stop waits, it cuts the wait short (a second Ctrl+C).
   */
  async stop(options?: { graceful?: boolean; timeout?: number | string }): Promise<void> {
    // Async, so bad options reject like every other failure rather than throw at the call.
    const { graceful, timeout } = parseOrThrow(stopOptionsSchema, options, "stop options", "");
    if (this.#stopping) {
      if (!graceful) this.#forceStop?.();
      return this.#stopping;
    }
    this.#stopping = this.#stop(graceful, timeout ?? this.#stopTimeoutMs);
    return this.#stopping;
  }

  async #stop(graceful: boolean, timeoutMs: number): Promise<void> {
    const wasStarting = this.#state === "starting";
    this.#state = "stopping";
    if (wasStarting) await this.#starting.catch(() => {});
    this.#unsubscribe?.();
    this.#scheduler.wakeAt(null, () => {});
    const stopping = this.#workers.map((worker) => worker.stop());
    if (graceful && this.#execution.size > 0) await this.#waitIdle(timeoutMs);
    this.#execution.releaseAll();
    await Promise.all(stopping);
    await this.#loop.claiming;
    await this.#results.flush();
    this.#execution.schedulerClosing();
    await this.#scheduler.close?.();
    this.#state = "stopped";
  }

  #waitIdle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        timer.clear();
        this.#forceStop = undefined;
        resolve();
      };
      const timer = longTimeout(done, ms);
      this.#forceStop = done;
      this.#execution.onIdle(done);
    });
  }

  // ---- enqueue ----------------------------------------------------------------------------

  /**
   * Adds a job. With a `key`, a second enqueue while the first job is waiting or active returns
   * that job instead of adding another. Throws {@link UnknownJobError} or {@link ValidationError}
   * (naming the field) and stores nothing when the input or options are wrong. A job a Worker sits
   * idle for is stored claimed by it (see `Storage.enqueue`): it comes back `active`, and its
   * handler may start before this promise resolves (with storage that answers synchronously and
   * the inline scheduler, before `enqueue` returns).
   */
  enqueue<D extends AnyJobDefinition>(
    job: D,
    input: InputOf<D>,
    options?: EnqueueOptions,
  ): Promise<JobRecord>;
  enqueue<N extends NameOf<M>>(
    name: N,
    input: InputByName<M, N>,
    options?: EnqueueOptions,
  ): Promise<JobRecord>;
  enqueue(
    job: AnyJobDefinition | string,
    input: unknown,
    options?: EnqueueOptions,
  ): Promise<JobRecord> {
    // Not an async function: a job handed off synchronously resolves in one turn, so the caller
    // resumes before that job's result is written (an async chain's turns would let it in first).
    try {
      const name = typeof job === "string" ? job : job?.name;
      const item = options === undefined ? { name, input } : { name, input, options };
      const records = this.#insert([prepareJob(this.#jobs, item, "", this.#now())]);
      return isPromise(records) ? records.then(firstRecord) : Promise.resolve(firstRecord(records));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Adds many jobs in one storage transaction: all of them, or (on any bad item) none. */
  async enqueueMany(items: readonly EnqueueItem[]): Promise<JobRecord[]> {
    if (!Array.isArray(items)) {
      throw new ValidationError("enqueueMany", [{ path: "jobs", message: "expected an array" }]);
    }
    const now = this.#now();
    return this.#insert(items.map((item, i) => prepareJob(this.#jobs, item, `jobs[${i}].`, now)));
  }

  #insert(jobs: NewJob[]): MaybePromise<JobRecord[]> {
    if (jobs.length === 0) return [];
    // One mark for the batch of prepared jobs, which the port then lets through unchecked (a mark
    // per job cost about a microsecond each), frozen so no storage wrapper can slip an unchecked
    // job into the vouched-for array.
    const batch = markTrusted(Object.freeze(jobs));
    const now = this.#now();
    const handedOff = jobs.length === 1 ? this.#loop.handOff(batch, now) : undefined;
    if (handedOff) return handedOff;
    return this.#call("enqueue", () => this.#storage.enqueue(batch, now)).then((results) => {
      announceEnqueued(this.#host, results);
      this.#loop.requestPump();
      return results.map((r) => r.job);
    });
  }

  // ---- queries and unfenced verbs ---------------------------------------------------------

  /** A job by id, or `null`. */
  get(id: string): Promise<JobRecord | null> {
    return this.#call("get", () => this.#storage.get(id));
  }

  /** Jobs newest first, filtered by state, name or queue; pass `nextCursor` back for the next page. */
  async list(options: ListOptions = {}): Promise<JobPage> {
    // Async, so bad options reject like every other failure rather than throw at the call.
    const query = parseOrThrow(listOptionsSchema, options, "list options", "");
    return this.#call("list", () => this.#storage.list(query));
  }

  /**
   * Calls `listener` with each job event as plain data (what `GET /events` streams); returns the
   * function that stops it.
   */
  subscribe(listener: (event: LiveEvent) => void): () => void {
    return subscribeJobEvents(this, listener);
  }

  /** Counts by queue and state: every queue with jobs, and every queue this Manager's Workers serve. */
  async stats(): Promise<QueueStats[]> {
    const stored = await this.#call("stats", () => this.#storage.stats(this.#now()));
    // The queues this Manager's Workers serve are listed even before they hold a job (zero
    // counts). Only those: a Durable Object's Manager must not speak for another object's queue.
    const listed = new Set(stored.map((s) => s.queue));
    const empty = [...new Set(this.#workers.map((w) => w.queue))].filter((q) => !listed.has(q));
    if (empty.length === 0) return stored;
    return [...stored, ...empty.map((queue) => emptyQueueStats(queue))].sort(byQueueName);
  }

  /**
   * Runs the claim loop now (a host's wake-up, e.g. a Durable Object alarm) and resolves once no job
   * is in flight, or after `maxWaitMs` (default 30s). Hosts that may be evicted when idle await it.
   */
  async wake(maxWaitMs = 30_000): Promise<void> {
    this.#loop.requestPump();
    // Let the pump claim what is due before looking at what is in flight.
    for (let i = 0; i < 3 && this.#loop.busy; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    while (this.#loop.busy) await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.#execution.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = longTimeout(resolve, maxWaitMs);
        this.#execution.onIdle(() => {
          timer.clear();
          resolve();
        });
      });
    }
    await this.#results.flush();
  }

  /** The Workers, with their state and current job. */
  workers(): Worker[] {
    return [...this.#workers];
  }

  /**
   * Cancels a job. A waiting job is cancelled at once; an active one has its signal aborted: here
   * at once, in another process at its next lease extension.
   */
  async cancel(id: string, reason = "cancelled"): Promise<JobRecord> {
    const job = await this.#call("cancel", () => this.#storage.cancel(id, reason, this.#now()));
    if (!this.#execution.cancel(job.id, reason) && job.state === "cancelled") {
      this.#emit("cancelled", { ...eventInit(job), reason });
    }
    return job;
  }

  /** Runs a failed or cancelled job again, now, with a fresh set of attempts. */
  async retry(id: string): Promise<JobRecord> {
    const job = await this.#call("retry", () => this.#storage.retry(id, this.#now()));
    this.#loop.requestPump();
    return job;
  }

  /**
   * Pauses a queue, or every queue of this Manager. The pause is stored, and storage hands no job
   * of a paused queue to any Worker: every process sharing the storage stops claiming it, and any
   * of them (another Manager, the CLI) may resume it. The Workers themselves stay `running`, idle.
   */
  async pause(queue?: string): Promise<void> {
    for (const q of this.#queuesOf(queue)) {
      await this.#call("setPaused", () => this.#storage.setPaused(q, true));
    }
  }

  /**
   * Stops this Manager's Workers of one queue (or all of them) for good: each finishes its current
   * job, then takes no other. Not stored: other processes go on serving the queue.
   */
  async stopWorkers(queue?: string): Promise<void> {
    const chosen = this.#workers.filter((w) => queue === undefined || w.queue === queue);
    await Promise.all(chosen.map((worker) => worker.stop()));
  }

  /**
   * Resumes a paused queue, or every queue of this Manager, wherever it was paused. A Worker
   * paused on its own (`worker.pause()`) stays paused until its own `resume()`.
   */
  async resume(queue?: string): Promise<void> {
    for (const q of this.#queuesOf(queue)) {
      await this.#call("setPaused", () => this.#storage.setPaused(q, false));
    }
    this.#loop.requestPump();
  }

  #queuesOf(queue: string | undefined): string[] {
    if (queue !== undefined) return [queue];
    const queues = new Set<string>(this.#workers.map((w) => w.queue));
    for (const { definition } of this.#jobs.values()) queues.add(definition.queue ?? "default");
    return [...queues];
  }

  /** Deletes finished jobs that finished more than `olderThan` ago. Returns how many. */
  async prune(options: {
    olderThan: number | string;
    states?: ("completed" | "failed" | "cancelled")[];
  }): Promise<number> {
    const { olderThan, states } = parseOrThrow(pruneOptionsSchema, options, "prune options", "");
    const before = this.#now() - olderThan;
    return this.#call("prune", () => this.#storage.prune({ before, states }));
  }

  // ---- plumbing ---------------------------------------------------------------------------

  /** Every storage call goes through here: promises normalised, errors prefixed with the adapter. */
  async #call<T>(verb: string, fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.#storageError(verb, error);
    }
  }

  #callNow<T>(verb: string, fn: () => MaybePromise<T>): MaybePromise<T> {
    let answer: MaybePromise<T>;
    try {
      answer = fn();
    } catch (error) {
      throw this.#storageError(verb, error);
    }
    if (!isPromise(answer)) return answer;
    return answer.then(undefined, (error: unknown) => {
      throw this.#storageError(verb, error);
    });
  }

  #storageError(verb: string, error: unknown): unknown {
    return error instanceof ShiftworkError
      ? error
      : new StorageError(this.#storage.name, verb, error);
  }

  #emit(type: JobEventType, init: JobEventInit): void {
    if (this.hasListener(type)) this.dispatchEvent(new JobEvent(type, init));
  }

  #dispatchError(during: string, error: unknown): void {
    this.dispatchEvent(new ManagerErrorEvent(during, error));
  }
}

const firstRecord = (records: JobRecord[]): JobRecord => records[0] as JobRecord;

/**
 * Creates a {@link Manager}. Call `start()` to begin.
 *
 * @example
 * const manager = createManager({
 *   storage: memoryStorage(),
 *   scheduler: inlineScheduler(),
 *   jobs: [sendEmail],
 *   workers: { "email.send": 4 },
 * });
 */
export function createManager<const M extends JobModule>(options: ManagerOptions<M>): Manager<M> {
  return new Manager(options);
}
