import { type EnqueueItem, prepareJob } from "./_enqueue.js";
import { Execution, type InFlight } from "./_execution.js";
import { GroupCommit } from "./_group-commit.js";
import { type EventTag, eventInit, type JobEventType, type ManagerHost } from "./_host.js";
import { ListenedEventTarget } from "./_listened-target.js";
import { type PlannedJob, planGroups, planJobs, type WorkerGroup } from "./_plan.js";
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
import type {
  ClaimedJob,
  ClaimFilter,
  ClaimRequest,
  EnqueueResult,
  ErrorInfo,
  JobPage,
  JobRecord,
  JobResult,
  NewJob,
  QueueStats,
  Scheduler,
  Storage,
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

interface Group extends WorkerGroup {
  workers: Worker[];
}

const STORAGE_RETRY_MIN_MS = 100;
const STORAGE_RETRY_MAX_MS = 5_000;
/** A drain made only of microtasks would starve timers (heartbeats, timeouts): yield this often. */
const YIELD_EVERY_MS = 20;
/** Floor of the wake-up delay when something due could not be claimed (a race, an expired lease). */
const IDLE_RETRY_MS = 25;
/** How often idle workers look for work when storage has no `subscribe`. */
const POLL_WITHOUT_SUBSCRIBE_MS = 1000;

/**
 * Owns the Workers and is the only thing that talks to storage: claims in batches, renews every
 * lease it holds in one call, group-commits results fenced by their lease tokens, and rescues the
 * expired leases of processes that died. Dispatches {@link JobEvent}s.
 */
export class Manager<M extends JobModule = JobModule> extends ListenedEventTarget {
  readonly #storage: Storage;
  readonly #scheduler: Scheduler;
  readonly #jobs: Map<string, PlannedJob>;
  readonly #groups: Group[];
  readonly #workers: Worker[] = [];
  readonly #results: GroupCommit<EventTag>;
  readonly #execution: Execution;
  readonly #now: () => number;
  readonly #leaseMs: number;
  readonly #heartbeatMs: number;
  readonly #rescueMs: number;
  readonly #stopTimeoutMs: number;

  #state: "new" | "starting" | "started" | "stopping" | "stopped" = "new";
  #pumping = false;
  #pumpAgain = false;
  #pumpQueued = false;
  /** The claim in flight, awaited by `stop` so a job it returns is released, not stranded. */
  #claiming: Promise<void> = Promise.resolve();
  /**
   * When the pump began working without the event loop turning since (microtask-only drains
   * starve timers), or undefined once it has turned. Real time, not the injected clock.
   */
  #busySince: number | undefined;
  #loopMarkArmed = false;
  #nextHeartbeat = 0;
  #nextRescue = 0;
  #storageRetryMs = 0;
  /**
   * Set while a failed pump waits out its backoff: other pump requests (a Worker freed, a change
   * notice) wait for the retry too, so failing storage is not hit once per event.
   */
  #backingOff = false;
  /** Dispatches the jobs claimed together with a batch of results, once that batch is settled. */
  #handOver: (() => void) | undefined;
  /** A claim is in flight (from the pump or with results): no second one for the same workers. */
  #claimInFlight = false;
  /**
   * Counts the reasons to look for work (`#requestPump` calls): an enqueue, a change notice, a
   * timer, a freed or respawned worker, `resume`, `retry`, `wake`, a storage retry.
   */
  #workSignals = 0;
  /**
   * Groups whose claim with results came back short, with `#workSignals` as it was when that claim
   * was asked: until another signal arrives, nothing is due for them that the claim did not see, so
   * the pump that follows the hand-over arms their wake-up without claiming again.
   */
  readonly #drained = new Map<Group, number>();
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
    this.#leaseMs = settings.lease;
    this.#heartbeatMs = settings.heartbeat ?? Math.max(1, Math.floor(settings.lease / 3));
    this.#rescueMs = settings.rescueInterval;
    this.#stopTimeoutMs = settings.stopTimeout;
    this.#groups = planGroups(settings.workers, this.#jobs).map((plan) => ({
      ...plan,
      workers: Array.from({ length: plan.count }, (_, i) => {
        const worker = new Worker(`${plan.key}#${i + 1}`, plan.key, plan.queue, {
          wantsWork: () => this.#requestPump(),
          stopped: (w) => void w.context?.terminate(),
        });
        this.#workers.push(worker);
        return worker;
      }),
    }));
    this.#results = new GroupCommit<EventTag>({
      write: (results) => this.#writeResults(results),
      settled: (tag, result, written) => this.#execution.announce(tag, result, written),
      failed: (error) => this.#dispatchError("record", error),
      // Jobs claimed with the results start after those results' events: a retried job's
      // `retrying` comes before its next `active`.
      batchSettled: () => this.#handOver?.(),
    });
    const host: ManagerHost = {
      storage: this.#storage,
      scheduler: this.#scheduler,
      now: () => this.#now(),
      started: () => this.#state === "started",
      call: (verb, fn) => this.#call(verb, fn),
      emit: (type, init) => this.#emit(type, init),
      dispatchError: (during, error) => this.#dispatchError(during, error),
    };
    this.#execution = new Execution(host, {
      jobs: this.#jobs,
      results: this.#results,
      graceMs: settings.abortGrace,
      random: options.random ?? Math.random,
      respawned: () => this.#requestPump(),
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
      this.#unsubscribe = this.#storage.subscribe?.(() => this.#requestPump());
    }
    this.#nextHeartbeat = this.#now() + this.#heartbeatMs;
    this.#requestPump();
  }

  /**
   * Stops claiming; lets in-flight jobs finish until `timeout`, then aborts their signals and
   * releases their leases so any process can take them at once. `graceful: false` does not wait;
   * called while a graceful stop waits, it cuts the wait short (a second Ctrl+C).
   */
  stop(options?: { graceful?: boolean; timeout?: number | string }): Promise<void> {
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
    await this.#claiming;
    await this.#results.flush();
    await this.#scheduler.close?.();
    this.#state = "stopped";
  }

  #waitIdle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#forceStop = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
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
   * handler may start before this promise resolves.
   */
  async enqueue<D extends AnyJobDefinition>(
    job: D,
    input: InputOf<D>,
    options?: EnqueueOptions,
  ): Promise<JobRecord>;
  async enqueue<N extends NameOf<M>>(
    name: N,
    input: InputByName<M, N>,
    options?: EnqueueOptions,
  ): Promise<JobRecord>;
  async enqueue(
    job: AnyJobDefinition | string,
    input: unknown,
    options?: EnqueueOptions,
  ): Promise<JobRecord> {
    const name = typeof job === "string" ? job : job?.name;
    const item = options === undefined ? { name, input } : { name, input, options };
    const [record] = await this.#insert([prepareJob(this.#jobs, item, "", this.#now())]);
    return record as JobRecord;
  }

  /** Adds many jobs in one storage transaction: all of them, or (on any bad item) none. */
  async enqueueMany(items: readonly EnqueueItem[]): Promise<JobRecord[]> {
    if (!Array.isArray(items)) {
      throw new ValidationError("enqueueMany", [{ path: "jobs", message: "expected an array" }]);
    }
    const now = this.#now();
    return this.#insert(items.map((item, i) => prepareJob(this.#jobs, item, `jobs[${i}].`, now)));
  }

  async #insert(jobs: NewJob[]): Promise<JobRecord[]> {
    if (jobs.length === 0) return [];
    // One mark for the batch of prepared jobs, which the port then lets through unchecked (a mark
    // per job cost about a microsecond each), frozen so no storage wrapper can slip an unchecked
    // job into the vouched-for array.
    const batch = markTrusted(Object.freeze(jobs));
    const now = this.#now();
    const taker = jobs.length === 1 ? this.#takerOf(jobs[0] as NewJob, now) : undefined;
    if (taker) return this.#insertHandedOff(batch, now, taker);
    const results = await this.#call("enqueue", () => this.#storage.enqueue(batch, now));
    this.#announceEnqueued(results);
    this.#requestPump();
    return results.map((r) => r.job);
  }

  #announceEnqueued(results: readonly EnqueueResult[]): void {
    for (const { job, created } of results) {
      // A job handed off as it was stored is already in its first attempt: `active` says so.
      if (created) {
        this.#emit("enqueued", { jobId: job.id, name: job.name, queue: job.queue, attempt: 0 });
      }
    }
  }

  /**
   * The idle Worker a one-job enqueue may hand its job to: one of a group whose last claim came
   * back short (so the new job is likely all it could take), while no other claim serves idle
   * Workers. Storage then decides, in the insert itself, whether the job really is that group's
   * next one.
   */
  #takerOf(job: NewJob, now: number): { group: Group; worker: Worker } | undefined {
    if (this.#state !== "started" || this.#backingOff || this.#claimInFlight) return undefined;
    if (job.runAt > now || this.#resultsWillClaim()) return undefined;
    for (const group of this.#groups) {
      if (!this.#drained.has(group) || !matches(group.filter, job)) continue;
      const worker = group.workers.find((w) => w.isIdle);
      if (worker) return { group, worker };
    }
    return undefined;
  }

  /**
   * A one-job enqueue that asks storage to insert the job already claimed for `taker`'s Worker:
   * one commit, where enqueue then claim take two, between an enqueue and its handler's start.
   * The Worker is held for it as for any claim, and the job goes back when stop began meanwhile.
   */
  async #insertHandedOff(
    batch: readonly NewJob[],
    now: number,
    { group, worker }: { group: Group; worker: Worker },
  ): Promise<JobRecord[]> {
    const claim = markTrusted({ ...group.filter, leaseMs: this.#leaseMs });
    let results: EnqueueResult[] = [];
    const inserting = this.#claimFor([[worker]], async () => {
      results = await this.#call("enqueue", () => this.#storage.enqueue(batch, now, claim));
      const claimed = results[0]?.claimed;
      return [claimed ? [claimed] : []];
    });
    this.#claiming = inserting.then(
      () => {},
      () => {},
    );
    let hand: () => void;
    try {
      hand = await inserting;
    } catch (error) {
      // A pump that ran meanwhile skipped its claim for this held Worker: look for work again.
      this.#requestPump();
      throw error;
    }
    this.#announceEnqueued(results);
    hand();
    const [only] = results;
    if (only?.claimed) {
      // Nothing new for any other Worker: no work signal, but the pump arms the lease renewal.
      this.#schedulePump();
    } else {
      // Not handed off: other jobs come first, and the pump claims them.
      this.#requestPump();
    }
    return results.map((r) => r.job);
  }

  // ---- queries and unfenced verbs ---------------------------------------------------------

  /** A job by id, or `null`. */
  get(id: string): Promise<JobRecord | null> {
    return this.#call("get", () => this.#storage.get(id));
  }

  /** Jobs newest first, filtered by state, name or queue; pass `nextCursor` back for the next page. */
  list(options: ListOptions = {}): Promise<JobPage> {
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

  /** Counts by queue and state. */
  stats(): Promise<QueueStats[]> {
    return this.#call("stats", () => this.#storage.stats(this.#now()));
  }

  /**
   * Runs the claim loop now (a host's wake-up, e.g. a Durable Object alarm) and resolves once no job
   * is in flight, or after `maxWaitMs` (default 30s). Hosts that may be evicted when idle await it.
   */
  async wake(maxWaitMs = 30_000): Promise<void> {
    this.#requestPump();
    // Let the pump claim what is due before looking at what is in flight.
    for (let i = 0; i < 3 && (this.#pumping || this.#pumpQueued); i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    while (this.#pumping || this.#pumpQueued)
      await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.#execution.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, maxWaitMs);
        this.#execution.onIdle(() => {
          clearTimeout(timer);
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
    this.#requestPump();
    return job;
  }

  /**
   * Pauses a queue, or every queue of this Manager. The pause is stored, so every process sharing
   * the storage stops claiming it; this Manager's workers of that queue become `paused`.
   */
  async pause(queue?: string): Promise<void> {
    for (const q of this.#queuesOf(queue)) {
      await this.#call("setPaused", () => this.#storage.setPaused(q, true));
      for (const worker of this.#workers) if (worker.queue === q) worker.pause();
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

  /** Resumes a paused queue, or every queue of this Manager. */
  async resume(queue?: string): Promise<void> {
    for (const q of this.#queuesOf(queue)) {
      await this.#call("setPaused", () => this.#storage.setPaused(q, false));
      for (const worker of this.#workers) if (worker.queue === q) worker.resume();
    }
    this.#requestPump();
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

  // ---- the claim loop ---------------------------------------------------------------------

  #requestPump(): void {
    this.#workSignals++;
    this.#schedulePump();
  }

  /** Runs the pump soon without counting a new reason to look for work (see `#drained`). */
  #schedulePump(): void {
    if (this.#state !== "started" || this.#backingOff) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#state !== "started" || this.#pumping) return;
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        if (this.#busySince === undefined) {
          // First pump since the event loop last turned (an enqueue, a wake-up): no yield, so an
          // idle worker starts a job at once; a zero timer marks when the loop turns again.
          this.#busySince = performance.now();
        } else if (performance.now() - this.#busySince > YIELD_EVERY_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (this.#state !== "started") return;
        }
        const now = this.#now();
        // Housekeeping is due every few seconds: the claim path skips even its call.
        if (now >= this.#nextHeartbeat || now >= this.#nextRescue) await this.#housekeeping(now);
        for (const group of this.#groups) await this.#fill(group);
        this.#markLoopTurn();
      } while (this.#pumpAgain && this.#state === "started");
      await this.#armWake();
    } catch (error) {
      this.#dispatchError("claim", error);
      // Storage trouble: try again with backoff rather than spinning.
      this.#pumpAgain = false;
      this.#storageRetryMs = Math.min(
        STORAGE_RETRY_MAX_MS,
        Math.max(STORAGE_RETRY_MIN_MS, this.#storageRetryMs * 2),
      );
      if (this.#state === "started") {
        this.#backingOff = true;
        this.#scheduler.wakeAt(this.#now() + this.#storageRetryMs, () => {
          this.#backingOff = false;
          this.#requestPump();
        });
      }
    } finally {
      this.#markLoopTurn();
      this.#pumping = false;
      // A request that arrived after the loop's last check (a worker freed while the wake-up was
      // being armed) would otherwise wait for the next timer: pump again now. Its signal was
      // counted when it was requested; a hand-over's must stay uncounted.
      if (this.#pumpAgain) this.#schedulePump();
    }
  }

  /**
   * Arms the zero timer that clears `#busySince` when the event loop turns again: after the first
   * claims, not before them, since on a cold path (an enqueue after an idle spell) making a timer
   * costs tens of microseconds the handler's start need not wait for.
   */
  #markLoopTurn(): void {
    if (this.#busySince === undefined || this.#loopMarkArmed) return;
    this.#loopMarkArmed = true;
    setTimeout(() => {
      this.#loopMarkArmed = false;
      this.#busySince = undefined;
    }, 0);
  }

  async #housekeeping(now: number): Promise<void> {
    if (now >= this.#nextHeartbeat) {
      this.#nextHeartbeat = now + this.#heartbeatMs;
      await this.#heartbeat();
    }
    if (now >= this.#nextRescue) {
      this.#nextRescue = now + this.#rescueMs;
      const rescued = await this.#call("rescueExpired", () => this.#storage.rescueExpired(now));
      for (const job of rescued) {
        const init = eventInit(job);
        this.#emit("stalled", init);
        if (job.state === "failed") this.#emit("failed", { ...init, ...errorOf(job.error) });
        if (job.state === "cancelled") {
          this.#emit("cancelled", { ...init, reason: job.cancelReason ?? "cancelled" });
        }
      }
    }
  }

  async #fill(group: Group): Promise<void> {
    if (this.#drained.get(group) === this.#workSignals) return;
    const idle = group.workers.filter((w) => w.isIdle);
    if (idle.length === 0 || this.#claimInFlight) return;
    // Results are about to be written: that write claims for the idle workers (one commit).
    if (this.#resultsWillClaim()) return;
    const request = this.#claimRequest(group, idle.length, this.#now());
    const filling = (async () => {
      const hand = await this.#claimFor([idle], async () => [
        await this.#call("claim", () => this.#storage.claim(request)),
      ]);
      hand();
    })();
    // `stop` waits for the hand-over too: a job claimed after stop began goes back to storage
    // (a `released` result) before stop flushes the results. (A claim made with results is
    // handed over inside the group commit, which stop flushes.)
    this.#claiming = filling.catch(() => {});
    await filling;
  }

  #claimRequest(group: Group, limit: number, now: number): ClaimRequest {
    return markTrusted({ ...group.filter, limit, leaseMs: this.#leaseMs, now });
  }

  /**
   * Queued results will claim for the idle workers when written. Not while their writes fail: a
   * result storage keeps refusing must not stop every claim of this process.
   */
  #resultsWillClaim(): boolean {
    return (
      this.#storage.recordAndClaim !== undefined &&
      this.#results.pending > 0 &&
      !this.#results.failing
    );
  }

  /**
   * Writes results; when storage can, also claims next jobs for every idle worker in the same
   * transaction (a drain's common case: the workers whose results these are). The claimed jobs
   * start once the results are settled.
   */
  async #writeResults(results: JobResult[]): Promise<boolean[]> {
    const storage = this.#storage;
    // Every result here was built by this Manager (`decide`, a release, a cancel), so the port
    // check would only repeat its own work.
    markTrusted(results);
    const now = this.#now();
    const mayClaim =
      storage.recordAndClaim !== undefined &&
      this.#state === "started" &&
      !this.#backingOff &&
      !this.#claimInFlight &&
      // A retry of a batch that failed is written alone: its trouble must not fail claims too.
      !this.#results.failing;
    const idle = mayClaim
      ? this.#groups
          .map((group) => ({ group, workers: group.workers.filter((w) => w.isIdle) }))
          .filter((g) => g.workers.length > 0)
      : [];
    if (idle.length === 0) return this.#call("record", () => storage.record(results, now));
    const requests = idle.map(({ group, workers }) =>
      this.#claimRequest(group, workers.length, now),
    );
    let written: boolean[] = [];
    let claimed: ClaimedJob[][] = [];
    const signals = this.#workSignals;
    const hand = await this.#claimFor(
      idle.map((g) => g.workers),
      async () => {
        const answer = await this.#call("record", () =>
          (storage.recordAndClaim as NonNullable<Storage["recordAndClaim"]>)(
            results,
            requests,
            now,
          ),
        );
        written = answer.written;
        claimed = answer.claimed;
        return claimed;
      },
    );
    this.#handOver = () => {
      this.#handOver = undefined;
      hand();
      for (const [i, { group, workers }] of idle.entries()) {
        if ((claimed[i]?.length ?? 0) < workers.length) this.#drained.set(group, signals);
        else this.#drained.delete(group);
      }
      // Workers left idle (fewer due jobs than workers): the pump arms their wake-up, without
      // claiming again for them unless something happened since this claim was asked.
      this.#schedulePump();
    };
    return written;
  }

  /**
   * Runs a claim for groups of idle workers (`claimed[i]` for `idle[i]`); returns the hand-over
   * that gives each claimed job to its worker, or back to storage when the worker or the Manager
   * can no longer take it.
   */
  async #claimFor(idle: Worker[][], claim: () => Promise<ClaimedJob[][]>): Promise<() => void> {
    // Held until the hand-over, so no other claim serves these workers in between.
    this.#claimInFlight = true;
    let claimed: ClaimedJob[][];
    try {
      claimed = await claim();
    } catch (error) {
      this.#claimInFlight = false;
      throw error;
    }
    // Storage takes writes again. (Not any pump that succeeds: one that only read, because
    // results were about to claim for it, says nothing about writes.)
    this.#storageRetryMs = 0;
    return () => {
      this.#claimInFlight = false;
      for (const [g, jobs] of claimed.entries()) {
        for (const [i, job] of jobs.entries()) {
          const worker = idle[g]?.[i] as Worker;
          // The claim raced a stop or pause: hand the job straight back, its attempt unused.
          if (this.#state === "started" && worker.isIdle) this.#execution.dispatch(worker, job);
          else this.#results.add({ id: job.id, token: job.leaseToken, kind: "released" });
        }
      }
    };
  }

  /**
   * Arms the scheduler's one slot for the earliest of: a job due for an idle worker, any lease's
   * expiry (a dead process's jobs to rescue), and, while jobs run here, their lease renewal. With
   * nothing pending the slot is cleared: an idle Durable Object gets no alarm.
   */
  async #armWake(): Promise<void> {
    const now = this.#now();
    let earliest = Number.POSITIVE_INFINITY;
    // While jobs run here: renew their leases, and look for others' expired leases on the way.
    if (this.#execution.size > 0) earliest = Math.min(this.#nextHeartbeat, this.#nextRescue);
    let looked = false;
    // A claim in flight, or results about to be written (which claim), serve the idle workers and
    // pump again once handed over: asking storage now would see due jobs nobody claimed yet and
    // arm a needless rescue.
    const claimPending = this.#claimInFlight || this.#resultsWillClaim();
    for (const group of this.#groups) {
      if (claimPending || !group.workers.some((w) => w.isIdle)) continue;
      looked = true;
      const due = await this.#call("nextWakeAt", () => this.#storage.nextWakeAt(group.filter));
      if (due !== null && due <= now && this.#drained.get(group) === this.#workSignals) {
        // This pump skipped the group's claim, and a job is due for it (it fell due, or was put
        // back by a rescue or by another Manager on this connection): claim now.
        this.#drained.delete(group);
        this.#schedulePump();
        continue;
      }
      if (due !== null) earliest = Math.min(earliest, due);
      // Storage that cannot tell us about other processes' enqueues is polled instead.
      if (!this.#storage.subscribe) earliest = Math.min(earliest, now + POLL_WITHOUT_SUBSCRIBE_MS);
    }
    // No idle worker asked storage (all paused, say): keep rescuing dead processes' jobs.
    if (!looked && this.#execution.size === 0 && this.#workers.some((w) => w.state !== "stopped")) {
      earliest = Math.min(earliest, this.#nextRescue);
    }
    if (this.#state !== "started") return;
    if (earliest === Number.POSITIVE_INFINITY) {
      this.#scheduler.wakeAt(null, () => {});
      return;
    }
    if (earliest <= now) {
      // Something is due that this pump could not claim: most likely an expired lease of a dead
      // process. Rescue on the next pump, and wait a little so a race cannot spin the loop.
      this.#nextRescue = now;
      earliest = now + IDLE_RETRY_MS;
    }
    this.#scheduler.wakeAt(earliest, () => this.#requestPump());
  }

  async #heartbeat(): Promise<void> {
    const entries = this.#execution.held();
    if (entries.length === 0) return;
    const leases = entries.map((e) => ({ id: e.job.id, token: e.job.leaseToken }));
    const statuses = await this.#call("extendLeases", () =>
      this.#storage.extendLeases(leases, this.#leaseMs, this.#now()),
    );
    for (const [i, status] of statuses.entries()) {
      this.#execution.renewed(entries[i] as InFlight, status);
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------

  /** Every storage call goes through here: promises normalised, errors prefixed with the adapter. */
  async #call<T>(verb: string, fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ShiftworkError) throw error;
      throw new StorageError(this.#storage.name, verb, error);
    }
  }

  #emit(type: JobEventType, init: JobEventInit): void {
    if (this.hasListener(type)) this.dispatchEvent(new JobEvent(type, init));
  }

  #dispatchError(during: string, error: unknown): void {
    this.dispatchEvent(new ManagerErrorEvent(during, error));
  }
}

const errorOf = (error: ErrorInfo | null) => (error ? { error } : {});

/** Whether a claim with `filter` may take `job` (paused queues aside). */
const matches = (filter: ClaimFilter, job: Pick<JobRecord, "name" | "queue">) =>
  (!filter.queues?.length || filter.queues.includes(job.queue)) &&
  (!filter.names?.length || filter.names.includes(job.name));

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
