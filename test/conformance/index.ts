/**
 * The conformance suites every Storage adapter and Scheduler runs, for vitest.
 * @module
 */
export {
  newJob,
  type StorageCapabilities,
  type StorageCaseContext,
  T0,
} from "./_context.js";
export { type SchedulerSuiteOptions, testScheduler } from "./scheduler.js";
export { type StorageSuiteOptions, testStorageAdapter } from "./storage.js";
