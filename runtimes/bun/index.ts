/**
 * The Bun host: a Scheduler on Bun's Web Workers.
 * @module
 */
export { type BunWorkerSchedulerOptions, bunWorkerScheduler } from "./scheduler.js";
