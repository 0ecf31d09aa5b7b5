import type { ClaimedJob, NewJob, Storage } from "shiftwork";

/** What the storage cases get: the adapter under test, re-created before every case. */
export interface StorageCaseContext {
  /** The storage of the current case (fresh, migrated). */
  storage(): Storage;
  /** A second handle on the same database, when the adapter declared `secondHandle`. */
  second(): Storage;
  capabilities: StorageCapabilities;
}

/** What an adapter declares it can do; cases that need more are skipped, never by adapter name. */
export interface StorageCapabilities {
  /** `open()` gives a second handle (connection, process-like) on the database `create()` made. */
  secondHandle?: boolean;
  /**
   * `enqueue` honours a hand-off (its `claim` argument) whenever the new job is the only one that
   * claim could take. Without it, the cases only check that a hand-off is never wrong.
   */
  handsOff?: boolean;
}

/** A fixed epoch for every case: storage is driven by the `now` it is given, never by a real clock. */
export const T0 = 1_700_000_000_000;

let counter = 0;

/** A job to enqueue, with sensible defaults. */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  counter += 1;
  return {
    name: "test.job",
    queue: "default",
    input: { n: counter },
    priority: 0,
    runAt: T0,
    maxAttempts: 3,
    key: null,
    ...overrides,
  };
}

/** Awaits whatever a port method returned (value or promise). */
export const run = async <T>(value: T | Promise<T>): Promise<T> => await value;

/** Calls a port method so that a synchronous throw becomes a rejection, as from an async adapter. */
export const attempt = async <T>(fn: () => T | Promise<T>): Promise<T> => await fn();

/** Enqueues jobs and returns their ids, in order. */
export async function seed(storage: Storage, jobs: NewJob[], now = T0): Promise<string[]> {
  const results = await run(storage.enqueue(jobs, now));
  return results.map((r) => r.job.id);
}

/** Claims with defaults: any queue, 10 jobs, 30 s lease, at T0. */
export async function claim(
  storage: Storage,
  options: {
    limit?: number;
    now?: number;
    leaseMs?: number;
    queues?: string[];
    names?: string[];
  } = {},
) {
  return run(
    storage.claim({
      limit: options.limit ?? 10,
      leaseMs: options.leaseMs ?? 30_000,
      now: options.now ?? T0,
      ...(options.queues ? { queues: options.queues } : {}),
      ...(options.names ? { names: options.names } : {}),
    }),
  );
}

/** The lease of a claimed job, as results and extensions present it. */
export const lease = (job: ClaimedJob | undefined) => ({
  id: job?.id as string,
  token: job?.leaseToken as string,
});
