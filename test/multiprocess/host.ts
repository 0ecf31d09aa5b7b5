// A host process for the multi-process tests: a Manager with inline workers on one libSQL file.
// Usage: host.ts DB_FILE LOG_FILE WORKERS LEASE_MS [hang]
import { appendFileSync, writeFileSync } from "node:fs";
import { createManager } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import { tapClaims } from "../_tap-claims.js";
import * as jobs from "./jobs.js";

const [db, log, workers, lease, mode] = process.argv.slice(2);
const hang = mode === "hang";
jobs.starts.file = log as string;
jobs.starts.hang = hang;

const storage = libsqlStorage({ url: `file:${db}` });
const claims: string[] = [];
// Each line is one job handed to this process.
tapClaims(storage, (claimed, now) => {
  for (const job of claimed) {
    const line = `C ${job.id} ${job.attempt} ${job.leaseToken} ${now} ${job.leaseExpiresAt} ${process.pid}\n`;
    if (hang) appendFileSync(log as string, line);
    else claims.push(line);
  }
});

const manager = createManager({
  storage,
  scheduler: inlineScheduler(),
  jobs,
  workers: { "mp.work": Number(workers) },
  lease: Number(lease),
  rescueInterval: 200,
});
const errors: string[] = [];
manager.addEventListener("error", (event) => {
  errors.push(String((event as unknown as { error: unknown }).error));
});
await manager.start();

// Exit once nothing is waiting or active, seen twice in a row.
let idle = 0;
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  const stats = await manager.stats();
  const open = stats.reduce((n, s) => n + s.waiting + s.active, 0);
  idle = open === 0 ? idle + 1 : 0;
  if (idle >= 2) break;
}
await manager.stop();
await storage.close?.();
writeFileSync(
  log as string,
  [...claims, ...jobs.starts.lines, ...errors.map((e) => `E ${e}\n`)].join(""),
);
process.exit(0);
