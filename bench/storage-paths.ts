// Measures the two libSQL paths for local files: the synchronous `libsql` binding (the default)
// and `@libsql/client`. Prints a table; it asserts nothing. Run: npm run bench
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import type { Storage } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { completions } from "./_host.js";

const N = Number(process.env.BENCH_N ?? 5000);
const isBun = "Bun" in globalThis;
const newJob = (now: number) => ({
  name: "bench",
  queue: "default",
  input: { n: 1 },
  priority: 0,
  runAt: now,
  maxAttempts: 3,
  key: null,
});

async function measure(storage: Storage) {
  await storage.migrate();
  const now = Date.now();
  let t = performance.now();
  for (let i = 0; i < N; i++) await storage.enqueue([newJob(now)], now);
  const enqueueOne = N / ((performance.now() - t) / 1000);
  t = performance.now();
  let done = 0;
  while (done < N) {
    const claimed = await storage.claim({ names: ["bench"], limit: 50, leaseMs: 30_000, now });
    await storage.record(completions(claimed), now);
    done += claimed.length;
  }
  const drain = N / ((performance.now() - t) / 1000);
  await storage.close?.();
  return { enqueueOne: Math.round(enqueueOne), drain: Math.round(drain) };
}

const dir = mkdtempSync(join(tmpdir(), "shiftwork-bench-"));
const rows: [string, { enqueueOne: number; drain: number }][] = [
  ["libsql binding (sync)", await measure(libsqlStorage({ url: `file:${join(dir, "a.db")}` }))],
  [
    "@libsql/client",
    await measure(
      libsqlStorage({ client: createClient({ url: `file:${join(dir, "b.db")}`, timeout: 5000 }) }),
    ),
  ],
];
if (isBun) {
  const { bunSqliteStorage } = await import("shiftwork/adapters/bun-sqlite");
  rows.push(["bun:sqlite", await measure(bunSqliteStorage({ path: join(dir, "c.db") }))]);
}
rmSync(dir, { recursive: true, force: true });
console.log(
  `SQLite file paths, N=${N}, ${isBun ? `bun ${process.versions.bun}` : `node ${process.version}`}`,
);
console.table(
  Object.fromEntries(
    rows.map(([name, r]) => [
      name,
      { "enqueue one at a time /s": r.enqueueOne, "claim 50 + record /s": r.drain },
    ]),
  ),
);
