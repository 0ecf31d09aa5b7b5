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
