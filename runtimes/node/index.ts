/**
 * The Node host: a Scheduler on `worker_threads`.
 * @module
 */
export { type NodeThreadSchedulerOptions, nodeThreadScheduler } from "./scheduler.js";
