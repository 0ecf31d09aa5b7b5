import type { JobEventInit, ManagerEventType } from "./events.js";
import type { JobRecord, MaybePromise, Scheduler, Storage } from "./ports.js";

/** The type of an event about a job (every Manager event but `error`). */
export type JobEventType = Exclude<ManagerEventType, "error">;

/** An event to dispatch once the result it announces is written. */
export type EventTag = [JobEventType, JobEventInit];

/**
 * What the Manager's internal parts (its claim loop, its execution side) may use of it: its ports,
 * its clock, the one place storage calls go through, and its events. They get this, not the
 * Manager, so none of them reaches into another's state.
 */
export interface ManagerHost {
  readonly storage: Storage;
  readonly scheduler: Scheduler;
  now(): number;
  /** True once `start` has finished, until `stop` begins. */
  started(): boolean;
  /** Makes a storage call: promises normalised, errors prefixed with the adapter's name. */
  call<T>(verb: string, fn: () => T | Promise<T>): Promise<T>;
  /**
   * `call`, with a synchronous adapter's answer (or error) kept synchronous: for the hand-off,
   * where a promise turn would stand between a commit and a handler's start.
   */
  callNow<T>(verb: string, fn: () => MaybePromise<T>): MaybePromise<T>;
  /** Dispatches a job event, when anyone listens for its type. */
  emit(type: JobEventType, init: JobEventInit): void;
  /** Dispatches an `error` event. */
  dispatchError(during: string, error: unknown): void;
}

/** The fields every event about one attempt of a job carries. */
export const eventInit = (job: JobRecord): JobEventInit => ({
  jobId: job.id,
  name: job.name,
  queue: job.queue,
  attempt: job.attempt,
});
