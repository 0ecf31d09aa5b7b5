// The Worker the workerd tests run: the example job module plus test jobs, short leases.
import { jobRunner, queueObject, queueWorker } from "shiftwork/runtimes/cloudflare";
import * as exampleJobs from "../../examples/jobs.js";
import * as testJobs from "./jobs.js";

const jobs = { ...exampleJobs, ...testJobs };

export class JobQueue extends queueObject({
  jobs,
  concurrency: 4,
  lease: 1000,
  rescueInterval: 200,
}) {}

/** Queue objects whose jobs fan out, each to a stateless invocation of JobRunner. */
export class FanOutQueue extends queueObject({ jobs, concurrency: 4, runner: "RUNNER" }) {}

/** The stateless side of fan-out. */
export class JobRunner extends jobRunner({ jobs }) {}

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

const main = queueWorker({
  jobs,
  binding: "JOBS",
  shards: { sharded: 4 },
  queues: ["qa", "qb", "bad", "sharded", "heavy", "listing", "chaos", "reset"],
});
const fanOut = queueWorker({ jobs, binding: "FANOUT", basePath: "/fan-out", queues: ["heavy"] });

// /fan-out/... goes to the fan-out objects, everything else to the inline ones.
export default {
  fetch(request: Request, env: Record<string, unknown>, ctx: unknown): Promise<Response> {
    const { pathname } = new URL(request.url);
    return (pathname.startsWith("/fan-out/") ? fanOut : main).fetch(request, env, ctx);
  },
};
