// Runs one job on the installed package: libSQL storage in a file, the host's thread scheduler
// (Node worker_threads, or Bun Web Workers under Bun), then prints what happened as JSON.
import { readFileSync } from "node:fs";
import { createManager, type JobEvent, ShiftworkError, ValidationError } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { bunWorkerScheduler } from "shiftwork/runtimes/bun";
import { nodeThreadScheduler } from "shiftwork/runtimes/node";
import * as jobs from "./jobs.ts";

(globalThis as { consumerMain?: boolean }).consumerMain = true;
const host = process.argv[2] === "bun-workers" ? "bun-workers" : "node-threads";
const module = new URL("./jobs.ts", import.meta.url);
const file = process.argv[3] ?? "consumer.db";
const storage = libsqlStorage({ url: `file:${file}` });
const manager = createManager({
  storage,
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

/**
 * "background" once the checkpoint thread (Node) has copied the job's WAL frames into the database
 * file (read from the WAL index: `mxFrame` at byte 16, `nBackfill` at byte 96), "inline" where the
 * connection keeps SQLite's own checkpoints (Bun).
 */
async function checkpoints(): Promise<string> {
  const rows = await storage.getInstance()?.transaction("read", function* () {
    return (yield { sql: "PRAGMA wal_autocheckpoint", args: [] }).rows;
  });
  if (rows?.[0]?.wal_autocheckpoint === 1000) return "inline";
  for (let i = 0; i < 250; i++) {
    const shm = readFileSync(`${file}-shm`);
    const frames = shm.readUInt32LE(16);
    if (frames > 0 && shm.readUInt32LE(96) === frames) return "background";
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return "background, WAL not copied";
}
const checkpointed = await checkpoints();

await manager.stop();
console.log(
  JSON.stringify({
    host,
    state: record?.state,
    output: record?.output,
    eventJob: event.jobId === job.id,
    invalidInput,
    badOptions,
    checkpoints: checkpointed,
  }),
);
