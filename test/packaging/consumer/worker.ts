// The consumer's Cloudflare Worker: a Durable Object per queue, from the installed package.
import { queueObject, queueWorker } from "shiftwork/runtimes/cloudflare";
import * as jobs from "./jobs.ts";

export class JobQueue extends queueObject({ jobs, concurrency: 2 }) {}
export default queueWorker({ jobs, binding: "JOBS" });
