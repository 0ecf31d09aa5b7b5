// Runs one job on the installed package: libSQL storage in a file, the host's thread scheduler
// (Node worker_threads, or Bun Web Workers under Bun), then prints what happened as JSON.
import { createManager, type JobEvent, ShiftworkError, ValidationError } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { bunWorkerScheduler } from "shiftwork/runtimes/bun";
import { nodeThreadScheduler } from "shiftwork/runtimes/node";
import * as jobs from "./jobs.ts";

(globalThis as { consumerMain?: boolean }).consumerMain = true;
const host = process.argv[2] === "bun-workers" ? "bun-workers" : "node-threads";
const module = new URL("./jobs.ts", import.meta.url);
const manager = createManager({
  storage: libsqlStorage({ url: `file:${process.argv[3] ?? "consumer.db"}` }),
  scheduler:
    host === "bun-workers"
      ? bunWorkerScheduler({ jobs: module })
      : nodeThreadScheduler({ jobs: module }),
  jobs,
  workers: { "consumer.double": 2 },
});

const completed = new Promise<JobEvent>((resolve) =>
  manager.addEventListener("completed", (event) => resolve(event as JobEvent)),
);
await manager.start();
const job = await manager.enqueue(jobs.double, { n: 21 });
const event = await completed;
const record = await manager.get(job.id);

// Error classes exist once: thrown from one subpath, caught by the class from another.
let invalidInput = "not thrown";
try {
  await manager.enqueue(jobs.double, { n: "x" } as never);
} catch (error) {
  invalidInput = error instanceof ValidationError ? "ValidationError" : String(error);
}
let badOptions = "not thrown";
try {
  libsqlStorage({});
} catch (error) {
  badOptions = error instanceof ShiftworkError ? "ShiftworkError" : String(error);
}
await manager.stop();
console.log(
  JSON.stringify({
    host,
    state: record?.state,
    output: record?.output,
    eventJob: event.jobId === job.id,
    invalidInput,
    badOptions,
  }),
);
