/**
 * shiftwork: background jobs whose one job module runs on Node, Bun and Cloudflare Workers.
 * @module
 */
export {
  type AnyJobDefinition,
  type CancelDirective,
  cancel,
  collectJobs,
  defineJob,
  type HandlerReturn,
  type InputOf,
  isJobDefinition,
  type JobContext,
  type JobDefinition,
  type JobOptions,
  type SnoozeDirective,
  snooze,
} from "./define.js";
export { type Duration, durationSchema, parseDuration } from "./duration.js";
export {
  type Issue,
  JobNotFoundError,
  JobStateError,
  ShiftworkError,
  StorageError,
  TimeoutError,
  UnknownJobError,
  UnrecoverableError,
  ValidationError,
} from "./errors.js";
export {
  JOB_EVENT_TYPES,
  JobEvent,
  type JobEventInit,
  type LiveEvent,
  ManagerErrorEvent,
  type ManagerEventType,
  subscribeJobEvents,
} from "./events.js";
export { createExecutor, type Executor, type ExecutorOptions } from "./host/executor.js";
export {
  createManager,
  type EnqueueItem,
  type JobModule,
  type ListOptions,
  Manager,
  type ManagerOptions,
} from "./manager.js";
export type { EnqueueOptions } from "./options.js";
export * from "./port-schemas.js";
export * from "./ports.js";
export {
  backoffDelay,
  DEFAULT_RETRY,
  type ResolvedRetryPolicy,
  type RetryPolicy,
} from "./retry.js";
export { Worker, type WorkerState } from "./worker.js";
