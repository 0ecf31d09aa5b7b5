/**
 * Shared set-up of the unit tier: a Manager on the memory adapter and the inline scheduler, an
 * event recorder, and promises that resolve on events (so tests wait on behaviour, not on sleeps).
 * @module
 */
import {
  createManager,
  type JobEvent,
  type JobModule,
  type Manager,
  type ManagerEventType,
  type ManagerOptions,
  type Storage,
} from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import { vi } from "vitest";

/** Every job event a Manager dispatches (all but `error`). */
export const JOB_EVENT_TYPES: readonly Exclude<ManagerEventType, "error">[] = [
  "enqueued",
  "active",
  "progress",
  "completed",
  "failed",
  "retrying",
  "snoozed",
  "cancelled",
  "released",
  "stalled",
  "stale",
  "log",
];

/** Options of {@link setup}: the Manager's, with storage and scheduler defaulted. */
export type SetupOptions<M extends JobModule> = Omit<ManagerOptions<M>, "storage" | "scheduler"> &
  Partial<Pick<ManagerOptions<M>, "storage" | "scheduler">>;

/** A Manager with its storage and a log of every job event it dispatched, in order. */
export interface Harness<M extends JobModule> {
  manager: Manager<M>;
  storage: Storage;
  events: JobEvent[];
  /** `type:jobId` of the recorded events of one job, or of all jobs. */
  trail(jobId?: string): string[];
}

/** Creates (not starts) a Manager on memory storage and the inline scheduler, recording events. */
export function setup<const M extends JobModule>(options: SetupOptions<M>): Harness<M> {
  const storage = options.storage ?? memoryStorage();
  const manager = createManager<M>({
    ...options,
    storage,
    scheduler: options.scheduler ?? inlineScheduler(),
  } as ManagerOptions<M>);
  const events: JobEvent[] = [];
  for (const type of JOB_EVENT_TYPES) {
    manager.addEventListener(type, (event) => events.push(event as JobEvent));
  }
  manager.addEventListener("error", (event) => {
    throw (event as Event & { error: unknown }).error;
  });
  const trail = (jobId?: string) =>
    events.filter((e) => jobId === undefined || e.jobId === jobId).map((e) => e.type);
  return { manager, storage, events, trail };
}

/** Resolves with the first `type` event for which `match` holds. */
export function nextEvent(
  manager: EventTarget,
  type: ManagerEventType,
  match: (event: JobEvent) => boolean = () => true,
): Promise<JobEvent> {
  return new Promise((resolve) => {
    const listener = (event: Event) => {
      if (!match(event as JobEvent)) return;
      manager.removeEventListener(type, listener);
      resolve(event as JobEvent);
    };
    manager.addEventListener(type, listener);
  });
}

/** Resolves once `count` events of `type` were dispatched. */
export function countEvents(manager: EventTarget, type: ManagerEventType, count: number) {
  return new Promise<void>((resolve) => {
    let seen = 0;
    manager.addEventListener(type, () => {
      seen += 1;
      if (seen === count) resolve();
    });
  });
}

/** Under fake timers: lets every microtask and every timer due now run, without moving the clock. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await vi.advanceTimersByTimeAsync(0);
}

/** A promise with its resolver outside, for handlers that end when the test says so. */
export function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
