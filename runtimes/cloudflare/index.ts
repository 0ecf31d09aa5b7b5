/**
 * The Cloudflare host: a Durable Object per queue is its Manager (storage: the object's SQLite;
 * wake-up: its alarm; handlers: inline), and a Worker routes requests to it.
 * @module
 */
export { type AlarmScheduler, alarmScheduler } from "./alarm-scheduler.js";
export { fanOutContext, type RunnerBinding } from "./fan-out.js";
export {
  type QueueObjectOptions,
  queueObject,
  type RpcError,
  type RpcResult,
} from "./queue-object.js";
export { jobRunner, type RemoteRun } from "./runner.js";
export {
  type QueueNamespace,
  type QueueStub,
  type QueueWorkerOptions,
  queueWorker,
} from "./worker.js";
