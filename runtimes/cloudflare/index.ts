/**
 * The Cloudflare host: a Durable Object per queue is its Manager (storage: the object's SQLite;
 * wake-up: its alarm; handlers: inline), and a Worker routes requests to it.
 * @module
 */
export {
  type AlarmScheduler,
  alarmScheduler,
  type DurableObjectAlarms,
} from "./alarm-scheduler.js";
export { fanOutContext, type RunnerBinding } from "./fan-out.js";
export {
  type QueueObjectApi,
  type QueueObjectClass,
  type QueueObjectOptions,
  type QueueObjectState,
  queueObject,
  type RpcError,
  type RpcResult,
} from "./queue-object.js";
export { type JobRunnerClass, jobRunner, type RemoteRun } from "./runner.js";
export {
  type QueueNamespace,
  type QueueStub,
  type QueueWorker,
  type QueueWorkerEnv,
  type QueueWorkerOptions,
  queueWorker,
} from "./worker.js";
