/**
 * The two ports the core is written against: {@link Storage} (where jobs live) and
 * {@link Scheduler} (where handlers run, and how the host wakes the Manager up).
 * Methods may return a value or a promise: Durable Object SQLite is synchronous, libSQL is not.
 * @module
 */

/** Where a job is in its life cycle. `waiting` covers delayed and retrying jobs too. */
export type JobState = "waiting" | "active" | "completed" | "failed" | "cancelled";

/** Every state, in life-cycle order. */
export const JOB_STATES: readonly JobState[] = [
  "waiting",
  "active",
  "completed",
  "failed",
  "cancelled",
];

/** A JSON value: what storage holds for inputs, outputs and progress. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An error as stored: message and stack survive, the class does not. */
export interface ErrorInfo {
  name?: string;
  message: string;
  stack?: string;
}

/** One run of a job's handler. */
export interface Attempt {
  /** 1-based within the job's current run of attempts (a manual retry starts again at 1). */
  attempt: number;
  startedAt: number;
  endedAt: number | null;
  /** How the attempt ended; `null` while it runs. */
  outcome:
    | "completed"
    | "failed"
    | "retry"
    | "snoozed"
    | "cancelled"
    | "released"
    | "stalled"
    | null;
  error: ErrorInfo | null;
}

/** A job as storage returns it. Times are milliseconds since the epoch. */
export interface JobRecord {
  /** Opaque id; the adapter's sequence number as a string, unless the adapter prefixes it. */
  id: string;
  /** Monotonic insertion number: FIFO ties are broken by it. */
  seq: number;
  name: string;
  queue: string;
  input: Json;
  state: JobState;
  /** Lower runs first. */
  priority: number;
  /** When a waiting job becomes due. */
  runAt: number;
  /** Attempts started in the current run of attempts. */
  attempt: number;
  maxAttempts: number;
  key: string | null;
  progress: Json;
  output: Json;
  /** Last error, if any. */
  error: ErrorInfo | null;
  /** Why the job was cancelled, if it was. */
  cancelReason: string | null;
  /** Set on an active job whose cancel was asked for; its holder sees it on the next lease extension. */
  cancelRequested: boolean;
  leaseToken: string | null;
  leaseExpiresAt: number | null;
  attempts: Attempt[];
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** A job a claim handed out: its lease token must come back with every result. */
export interface ClaimedJob extends JobRecord {
  leaseToken: string;
  leaseExpiresAt: number;
}

/** What the core asks storage to insert. Validated by the core before it reaches the adapter. */
export interface NewJob {
  name: string;
  queue: string;
  input: Json;
  priority: number;
  runAt: number;
  maxAttempts: number;
  key: string | null;
}

/** Result of inserting one job: the stored job, and whether it is new or an existing holder of its key. */
export interface EnqueueResult {
  job: JobRecord;
  created: boolean;
  /**
   * Set when the enqueue was asked to hand its job off ({@link EnqueueClaim}) and storage did:
   * the job as stored, already claimed. `job` is then an equal record (another object).
   */
  claimed?: ClaimedJob;
}

/** Which jobs a claim may take. Empty or absent lists mean "any". Paused queues are always skipped. */
export interface ClaimFilter {
  queues?: readonly string[];
  names?: readonly string[];
}

/** A claim request: up to `limit` due jobs, each leased for `leaseMs` from `now`. */
export interface ClaimRequest extends ClaimFilter {
  limit: number;
  leaseMs: number;
  now: number;
}

/**
 * A hand-off asked of a one-job enqueue: a Manager with an idle Worker of this filter, which
 * expects the new job to be the only one that Worker's next claim could take.
 */
export interface EnqueueClaim extends ClaimFilter {
  leaseMs: number;
}

/** A lease a Manager holds: presented with every extension and result. */
export interface Lease {
  id: string;
  token: string;
}

/** Per-lease answer to {@link Storage.extendLeases}. */
export type LeaseStatus = "extended" | "lost" | "cancel-requested";

/**
 * A fenced write from the holder of a lease. `progress` keeps the job active; the others end the
 * attempt. `released` hands the job back unrun (graceful stop) without using up an attempt.
 */
export type JobResult = Lease &
  (
    | { kind: "completed"; output: Json }
    | { kind: "failed"; error: ErrorInfo }
    | { kind: "retry"; error: ErrorInfo; runAt: number }
    | { kind: "snoozed"; runAt: number }
    | { kind: "cancelled"; reason: string }
    | { kind: "released" }
    | { kind: "progress"; progress: Json }
  );

/** Filter and page of {@link Storage.list}. Newest first; `cursor` is the last `seq` seen. */
export interface ListQuery {
  state?: JobState;
  name?: string;
  queue?: string;
  limit: number;
  cursor?: number;
}

/** A page of jobs, newest first. */
export interface JobPage {
  jobs: JobRecord[];
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  nextCursor: number | null;
}

/** Counts for one queue. `delayed` is the part of `waiting` not yet due. */
export interface QueueStats {
  queue: string;
  paused: boolean;
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/** Whether a claim with `filter` may take a job of this name and queue (paused queues aside). */
export const matchesFilter = (filter: ClaimFilter, job: Pick<NewJob, "name" | "queue">): boolean =>
  (!filter.queues?.length || filter.queues.includes(job.queue)) &&
  (!filter.names?.length || filter.names.includes(job.name));

/** The record of a job just stored: waiting, never attempted. Every adapter builds it alike. */
export function newJobRecord(
  job: NewJob,
  id: string,
  seq: number,
  input: Json,
  now: number,
): JobRecord {
  return {
    id,
    seq,
    name: job.name,
    queue: job.queue,
    input,
    state: "waiting",
    priority: job.priority,
    runAt: job.runAt,
    attempt: 0,
    maxAttempts: job.maxAttempts,
    key: job.key,
    progress: null,
    output: null,
    error: null,
    cancelReason: null,
    cancelRequested: false,
    leaseToken: null,
    leaseExpiresAt: null,
    attempts: [],
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
}

/**
 * The order of `stats()` rows: by queue name, code unit by code unit (SQLite's own order of text),
 * the same from every adapter and host.
 */
export const byQueueName = (a: { queue: string }, b: { queue: string }): number =>
  a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0;

/** A queue's counts before any job is counted: what adapters start their stats from. */
export function emptyQueueStats(queue: string, paused = false): QueueStats {
  return {
    queue,
    paused,
    waiting: 0,
    delayed: 0,
    active: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
  };
}

/** Which finished jobs {@link Storage.prune} deletes: those in `states` finished before `before`. */
export interface PruneRequest {
  before: number;
  states: readonly ("completed" | "failed" | "cancelled")[];
}

/** A value, or a promise of it: adapters choose. */
export type MaybePromise<T> = T | Promise<T>;

/** Whether an adapter's answer is a promise (any thenable) rather than the value itself. */
export const isPromise = <T>(value: MaybePromise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown } | null)?.then === "function";

/**
 * The Storage port: job-level verbs. Only the Manager calls it; every time comes from the caller's
 * clock (`now`), so a fake clock drives delays and leases in tests on every host.
 */
export interface Storage {
  /** Adapter name, used in error prefixes. */
  readonly name: string;
  /** Creates or upgrades the schema. Idempotent. */
  migrate(): MaybePromise<void>;
  /**
   * Inserts jobs in one transaction: all or none. A job whose `key` is held by a waiting or active
   * job is not inserted; the holder comes back with `created: false`.
   *
   * With `claim`, and one job that is created: when a claim of `claim`'s filter with a limit of one,
   * made at `now` right after the insert, would take this job, storage may store it already claimed
   * by that claim (a fresh attempt under a lease of `leaseMs`) in the same write, and return it as
   * `claimed`. The job and the claim then commit together: one write instead of two for the job a
   * waiting Worker takes next. Storage may ignore `claim`; the job then waits as usual.
   */
  enqueue(
    jobs: readonly NewJob[],
    now: number,
    claim?: EnqueueClaim,
  ): MaybePromise<EnqueueResult[]>;
  /**
   * Atomically moves up to `limit` due waiting jobs (by priority, run time, then seq) to active,
   * writing a fresh lease token and expiry and starting a new attempt. No job is handed to two
   * claimers while its lease holds. On the SQL storages a claim filtered to one queue or to one
   * job name (a Worker group's) costs the same whatever else is waiting; any other filter, none
   * included, reads and sorts every ready job it matches.
   */
  claim(request: ClaimRequest): MaybePromise<ClaimedJob[]>;
  /** Pushes out the expiry of every lease presented, in one statement where the engine allows. */
  extendLeases(leases: readonly Lease[], leaseMs: number, now: number): MaybePromise<LeaseStatus[]>;
  /**
   * Writes results in one transaction, each fenced by its lease token. Returns, per result, whether it
   * was written (`false`: the token is stale, nothing was changed).
   */
  record(results: readonly JobResult[], now: number): MaybePromise<boolean[]>;
  /**
   * Optional: `record(results, now)` then `claim` of each request in order, in one transaction,
   * answering all (`claimed[i]` for `requests[i]`). A draining Manager writes the results of jobs
   * that just ended and claims its idle workers' next jobs with one commit instead of two. Bad
   * arguments of any part change nothing. A wrapper that overrides `record` or `claim` (to
   * instrument or slow them) must override or drop this too, or a drain goes around its overrides.
   */
  recordAndClaim?(
    results: readonly JobResult[],
    requests: readonly ClaimRequest[],
    now: number,
  ): MaybePromise<{ written: boolean[]; claimed: ClaimedJob[][] }>;
  /**
   * Returns active jobs whose lease expired to `waiting` (or `failed` when no attempts remain, or
   * `cancelled` when a cancel was asked for). Returns the jobs it changed.
   */
  rescueExpired(now: number): MaybePromise<JobRecord[]>;
  /**
   * Unfenced cancel. A waiting job becomes cancelled; an active one gets `cancelRequested`, and its
   * holder ends it. Throws {@link JobNotFoundError} or {@link JobStateError} for finished jobs.
   */
  cancel(id: string, reason: string, now: number): MaybePromise<JobRecord>;
  /** Unfenced retry of a failed or cancelled job: waiting again, due now, with fresh attempts. */
  retry(id: string, now: number): MaybePromise<JobRecord>;
  /** Persists a queue's pause, so it holds for every process sharing the storage. */
  setPaused(queue: string, paused: boolean): MaybePromise<void>;
  get(id: string): MaybePromise<JobRecord | null>;
  list(query: ListQuery): MaybePromise<JobPage>;
  /** Counts by queue and state, for every queue that has jobs or is paused. */
  stats(now: number): MaybePromise<QueueStats[]>;
  /** Deletes finished jobs; returns how many. */
  prune(request: PruneRequest): MaybePromise<number>;
  /**
   * The earliest time something is due: a waiting job of an unpaused queue matching `filter`, or the
   * expiry of any active lease. `null` when nothing is pending.
   */
  nextWakeAt(filter: ClaimFilter): MaybePromise<number | null>;
  /**
   * Optional: calls `listener` soon after another handle (process) changed the database, so a
   * Manager notices foreign enqueues without polling the jobs table. Returns an unsubscribe.
   */
  subscribe?(listener: () => void): () => void;
  /** Releases connections. */
  close?(): MaybePromise<void>;
}

/** A job handed to an execution context to run. */
export interface RunRequest {
  id: string;
  token: string;
  name: string;
  input: Json;
  attempt: number;
  maxAttempts: number;
}

/** Messages from the Manager to an execution context. */
export type ToContext =
  | { type: "run"; job: RunRequest }
  | {
      type: "abort";
      id: string;
      /** The attempt's lease token: two attempts of one job may share a context (shared threads). */
      token: string;
      reason: "timeout" | "cancel" | "shutdown";
      timeoutMs?: number;
    };

/** How a handler's run ended, as the execution context reports it. */
export type RunOutcome =
  | { kind: "completed"; output: Json }
  | { kind: "failed"; error: ErrorInfo; unrecoverable: boolean }
  | { kind: "snoozed"; delayMs: number }
  | { kind: "cancelled"; reason: string };

/** Messages from an execution context to the Manager. */
export type FromContext =
  | { type: "done"; id: string; token: string; outcome: RunOutcome }
  | { type: "progress"; id: string; token: string; progress: Json }
  | { type: "log"; id: string; token: string; message: string; data?: Json };

/** A running execution context: a thread, a Bun worker, or an inline runner. */
export interface ExecutionContext {
  send(message: ToContext): void;
  /** Stops the context at once; in-flight handlers are abandoned. */
  terminate(): MaybePromise<void>;
}

/** What the Manager gives a Scheduler when it starts a context. */
export interface SpawnOptions {
  /** Stable id of the Worker this context serves. */
  workerId: string;
  /** The Manager's job definitions, for schedulers that run handlers in the same thread. */
  jobs: ReadonlyMap<string, import("./define.js").AnyJobDefinition>;
  onMessage(message: FromContext): void;
  /** Called when the context dies by itself (crash, exit); not after `terminate()`. */
  onExit(error: ErrorInfo): void;
}

/**
 * The Scheduler port: how a host runs handlers and wakes the Manager up.
 * Its one wake-up slot is replaced on every call, like a Durable Object's alarm.
 */
export interface Scheduler {
  readonly name: string;
  spawn(options: SpawnOptions): MaybePromise<ExecutionContext>;
  /** Arms the single wake-up slot for `time` (clamped to now), or clears it with `null`. */
  wakeAt(time: number | null, callback: () => void): void;
  /**
   * Resolves once the messages its contexts have already sent are delivered (on Node and Bun: the
   * next `setImmediate`). Optional: where results come from several threads, each thread's in a
   * message of its own, the Manager waits for this before it writes a batch of results, so that
   * one transaction holds every thread's results that arrived together instead of one per thread.
   * Without it (inline handlers) the Manager waits one microtask. It must resolve, and soon: the
   * results wait for it.
   */
  delivered?(): Promise<void>;
  /**
   * Releases whatever the scheduler holds (timers, pools). A scheduler serves one Manager: once
   * closed, it may refuse to spawn (the thread schedulers do).
   */
  close?(): MaybePromise<void>;
}
