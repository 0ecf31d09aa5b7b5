// A host process of the kill loop: a Manager with inline Workers on a shared libSQL file, which
// journals every claim, lease extension and handler start/end with synchronous writes, and exits
// once nothing is waiting or active. Usage: kill-host.ts DB_FILE JOURNAL_FILE WORKERS LEASE_MS WORK_MS
import { openSync, writeFileSync } from "node:fs";
import { createManager } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import { tapClaims } from "../_tap-claims.js";
import * as jobs from "./jobs.js";

const [db, file, workers, lease, workMs] = process.argv.slice(2);
jobs.journal.fd = openSync(file as string, "a");
jobs.journal.workMs = Number(workMs);
const { note } = jobs;

const storage = libsqlStorage({ url: `file:${db}` });
// token -> "id attempt", so a lease extension can name the run it extends.
const runs = new Map<string, string>();
tapClaims(storage, (claimed, now) => {
  for (const job of claimed) {
    runs.set(job.leaseToken as string, `${job.id} ${job.attempt}`);
    note(`C ${job.id} ${job.attempt} ${now} ${job.leaseExpiresAt} ${process.pid}`);
  }
});
const extend = storage.extendLeases.bind(storage);
storage.extendLeases = async (leases, leaseMs, now) => {
  // Written before the call: `now + leaseMs` bounds from above any expiry this call can set, even
  // if the process dies between the write to storage and the journal.
  for (const lease of leases) {
    const run = runs.get(lease.token);
    if (run) note(`X ${run} ${now + leaseMs} ${process.pid}`);
  }
  return extend(leases, leaseMs, now);
};

const manager = createManager({
  storage,
  scheduler: inlineScheduler(),
  jobs,
  workers: { "chaos.work": Number(workers) },
  lease: Number(lease),
  rescueInterval: 200,
});
manager.addEventListener("error", (event) => {
  note(
    `F ${process.pid} ${String((event as unknown as { error: unknown }).error).replace(/\n/g, " ")}`,
  );
});
manager.addEventListener("stale", (event) => {
  const e = event as unknown as { jobId: string; refused: string };
  note(`L ${e.jobId} ${e.refused} ${process.pid} ${Date.now()}`);
});
await manager.start();
note(`R ${process.pid} ${Date.now()}`);
// Tells the driver this process is up (cheaper for it than scanning the journal).
writeFileSync(`${file}.up`, String(process.pid));

// Exit once nothing is waiting or active, seen twice in a row.
let idle = 0;
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const stats = await manager.stats();
  const open = stats.reduce((n, s) => n + s.waiting + s.active, 0);
  idle = open === 0 ? idle + 1 : 0;
  if (idle >= 2) break;
}
await manager.stop();
await storage.close?.();
process.exit(0);
