import type { ErrorInfo, Json } from "./ports.js";

/** The events a Manager dispatches. */
export type ManagerEventType =
  | "enqueued"
  | "active"
  | "progress"
  | "completed"
  | "failed"
  | "retrying"
  | "snoozed"
  | "cancelled"
  | "released"
  | "stalled"
  | "stale"
  | "log"
  | "error";

/** What an event says about its job; fields not relevant to the event are absent. */
export interface JobEventInit {
  jobId: string;
  name: string;
  queue: string;
  attempt: number;
  output?: Json;
  error?: ErrorInfo;
  progress?: Json;
  /** For `retrying` and `snoozed`: when the job runs next. */
  runAt?: number;
  /** For `cancelled`: why. */
  reason?: string;
  /** For `log`. */
  message?: string;
  data?: Json;
  /** For `stale`: which write was refused. */
  refused?: string;
}

/** An event about one job. `stale` means a result was refused because its lease was no longer held. */
export class JobEvent extends Event implements JobEventInit {
  readonly jobId: string;
  readonly name: string;
  readonly queue: string;
  readonly attempt: number;
  readonly output?: Json;
  readonly error?: ErrorInfo;
  readonly progress?: Json;
  readonly runAt?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly data?: Json;
  readonly refused?: string;
  constructor(type: Exclude<ManagerEventType, "error">, init: JobEventInit) {
    super(type);
    this.jobId = init.jobId;
    this.name = init.name;
    this.queue = init.queue;
    this.attempt = init.attempt;
    Object.assign(this, init);
  }
}

/** A Manager-level problem (storage unreachable, a context that died); the Manager keeps going. */
export class ManagerErrorEvent extends Event {
  readonly error: unknown;
  readonly during: string;
  constructor(during: string, error: unknown) {
    super("error");
    this.during = during;
    this.error = error;
  }
}

/** The job events, in the order a job usually meets them. */
export const JOB_EVENT_TYPES = [
  "enqueued",
  "active",
  "progress",
  "log",
  "completed",
  "failed",
  "retrying",
  "snoozed",
  "cancelled",
  "released",
  "stalled",
  "stale",
] as const satisfies readonly Exclude<ManagerEventType, "error">[];

/** A job event as plain data (what `GET /events` streams): its type, and the fields it carries. */
export interface LiveEvent extends JobEventInit {
  type: (typeof JOB_EVENT_TYPES)[number];
}

const EVENT_FIELDS = [
  "jobId",
  "name",
  "queue",
  "attempt",
  "output",
  "error",
  "progress",
  "runAt",
  "reason",
  "message",
  "data",
  "refused",
] as const satisfies readonly (keyof JobEventInit)[];

/** Copies a {@link JobEvent}'s own fields into a plain object. */
export function toLiveEvent(event: JobEvent): LiveEvent {
  const live: Record<string, unknown> = { type: event.type };
  for (const k of EVENT_FIELDS) if (event[k] !== undefined) live[k] = event[k];
  return live as unknown as LiveEvent;
}

/**
 * Calls `listener` with every job event `target` dispatches, as plain data; returns the function
 * that stops it.
 */
export function subscribeJobEvents(
  target: EventTarget,
  listener: (event: LiveEvent) => void,
): () => void {
  const forward = (event: Event) => listener(toLiveEvent(event as JobEvent));
  for (const type of JOB_EVENT_TYPES) target.addEventListener(type, forward);
  return () => {
    for (const type of JOB_EVENT_TYPES) target.removeEventListener(type, forward);
  };
}
