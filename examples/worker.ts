/**
 * The example on Cloudflare: the same job module as Node and Bun (`./jobs.ts`), one Durable Object
 * per queue as its Manager, and a Worker in front. Deployed by the root `wrangler.toml`.
 * @module
 */
import { queueObject, queueWorker } from "shiftwork/runtimes/cloudflare";
import * as jobs from "./jobs.js";

/** One object per queue: `JOBS.idFromName("images")` is the Manager of the `images` queue. */
export class JobQueue extends queueObject({ jobs, concurrency: 4 }) {}

export default queueWorker({ jobs, binding: "JOBS" });
