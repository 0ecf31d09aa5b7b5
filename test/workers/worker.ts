// The Worker the workerd tests run: the example job module plus test jobs, short leases.
import { queueObject, queueWorker } from "shiftwork/runtimes/cloudflare";
import * as exampleJobs from "../../examples/jobs.js";
import * as testJobs from "./jobs.js";

const jobs = { ...exampleJobs, ...testJobs };

export class JobQueue extends queueObject({
  jobs,
  concurrency: 4,
  lease: 1000,
  rescueInterval: 200,
}) {}

/** A bare object for the storage conformance suite: it only lends its SQLite storage. */
export class StorageProbe {
  readonly ctx: unknown;
  constructor(ctx: unknown) {
    this.ctx = ctx;
  }
  fetch(): Response {
    return new Response("probe");
  }
}

export default queueWorker({ jobs, binding: "JOBS" });
