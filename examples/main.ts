/**
 * `npm run demo`: runs the example jobs on an embedded libSQL file (`--db URL`, default
 * `file:./shiftwork.db`; `--db :memory:` keeps nothing) with the inline scheduler, prints one line
 * per job event, and stops gracefully on SIGINT/SIGTERM. A restart resumes where the last run
 * stopped: waiting jobs stay, and a dead run's active jobs are rescued once their lease runs out.
 * With `--once` it stops (exit 0) as soon as every job has finished.
 * @module
 */
import { createManager, type JobEvent, type ManagerErrorEvent, ValidationError } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as jobs from "./jobs.js";

const once = process.argv.includes("--once");
const dbFlag = process.argv.indexOf("--db");
const db = dbFlag >= 0 ? (process.argv[dbFlag + 1] ?? "") : "file:./shiftwork.db";
const started = Date.now();

const manager = createManager({
  storage: libsqlStorage({ url: db }),
  scheduler: inlineScheduler(),
  jobs,
  workers: { "email.send": 2, "image.resize": 1, "report.flaky": 1, cleanup: 1 },
});

const print = (what: string, detail = "") => {
  const at = `+${((Date.now() - started) / 1000).toFixed(3)}s`;
  console.log(`${at.padStart(8)}  ${what.padEnd(9)}${detail ? `  ${detail}` : ""}`);
};
const describe = (e: JobEvent) => `${e.type.padEnd(9)}  ${`${e.name} #${e.jobId}`.padEnd(16)}`;
const inMs = (time: number | undefined) => `in ${Math.max(0, (time ?? 0) - Date.now())}ms`;
const details: Record<string, (e: JobEvent) => string> = {
  active: (e) => `attempt ${e.attempt}`,
  completed: (e) => JSON.stringify(e.output),
  retrying: (e) => `${e.error?.message}; next attempt ${inMs(e.runAt)}`,
  snoozed: (e) => `runs again ${inMs(e.runAt)}`,
  failed: (e) => e.error?.message ?? "",
  cancelled: (e) => e.reason ?? "",
};
for (const [type, detail] of Object.entries(details)) {
  manager.addEventListener(type, (event) => {
    const e = event as JobEvent;
    print(describe(e), detail(e));
    if (type === "completed" || type === "failed" || type === "cancelled") void checkDone();
  });
}
manager.addEventListener("error", (event) => {
  const { during, error } = event as ManagerErrorEvent;
  print(`error during ${during}`, String(error));
});

let enqueued = false;
let finished = false;
let stopping = false;

/** Once nothing is waiting or running: under `--once`, stops; otherwise says so and keeps running. */
async function checkDone(): Promise<void> {
  if (!enqueued || finished) return;
  const stats = await manager.stats();
  if (finished || !stats.every((q) => q.waiting === 0 && q.active === 0)) return;
  finished = true;
  if (once) await shutdown("every job finished");
  else print("idle", "every demo job finished; Ctrl+C to stop");
}

async function shutdown(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  print("stopping", why);
  await manager.stop();
  const columns = ["waiting", "delayed", "active", "completed", "failed", "cancelled"] as const;
  console.log(`\n${"queue".padEnd(10)}${columns.map((c) => c.padStart(10)).join("")}`);
  for (const q of await manager.stats()) {
    console.log(`${q.queue.padEnd(10)}${columns.map((c) => String(q[c]).padStart(10)).join("")}`);
  }
}

if (once) {
  // A test runs `--once`: never hang it.
  setTimeout(() => {
    console.error("--once: jobs still unfinished after 30s");
    process.exit(1);
  }, 30_000).unref();
}

await manager.start();
print("storage", db);
// Handlers go in once the Manager runs: a second Ctrl+C falls back to Node's default (exit at once).
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));

// The demo batch.
const welcome = { to: "ada@example.com", subject: "Welcome" };
const first = await manager.enqueue(jobs.sendEmail, welcome, { key: "welcome:ada" });
const again = await manager.enqueue(jobs.sendEmail, welcome, { key: "welcome:ada" });
print("unique", `key "welcome:ada" enqueued twice: jobs #${first.id} and #${again.id}`);
await manager.enqueue(jobs.sendEmail, { to: "grace@example.com", subject: "Hello" });
await manager.enqueue(
  jobs.sendEmail,
  { to: "alan@example.com", subject: "Later" },
  { delay: "1s" },
);
const tomorrow = await manager.enqueue(
  jobs.sendEmail,
  { to: "linus@example.com", subject: "Tomorrow" },
  { delay: "1d" },
);
await manager.cancel(tomorrow.id, "no longer needed");
try {
  await manager.enqueue(jobs.sendEmail, { to: "not-an-email", subject: "Oops" });
} catch (error) {
  if (!(error instanceof ValidationError)) throw error;
  print("rejected", error.message);
}
for (const size of [
  { width: 640, height: 480 },
  { width: 1920, height: 1080 },
  { width: 300, height: 300 },
]) {
  await manager.enqueue(jobs.resizeImage, size);
}
await manager.enqueue(jobs.flakyReport, { failures: 1 });
await manager.enqueue(jobs.flakyReport, { failures: 5 });
await manager.enqueue(jobs.cleanup, { notBefore: new Date(Date.now() + 500).toISOString() });
enqueued = true;
await checkDone();
