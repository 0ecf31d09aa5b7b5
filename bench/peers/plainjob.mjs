// The reference peer, plainjob on better-sqlite3, measured like shiftwork: same N, same empty
// handler, its recommended settings (defineQueue sets WAL, synchronous=NORMAL, busy_timeout; the
// worker's default poll interval). Plain JavaScript, so the root typecheck does not need this
// folder's dependencies. Run by bench/run.ts as `plainjob.mjs <scenario> <variant> <options>`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { better, defineQueue, defineWorker } from "plainjob";

const [scenario, variant, json] = process.argv.slice(2);
const options = JSON.parse(json ?? "{}");
const quiet = { debug() {}, info() {}, warn() {}, error: console.error };

const dir = mkdtempSync(join(tmpdir(), "shiftwork-bench-peer-"));
const queue = defineQueue({ connection: better(new Database(join(dir, "p.db"))), logger: quiet });
const since = (t0) => (performance.now() - t0) / 1000;

async function enqueue() {
  const { n } = options;
  for (let i = 0; i < 100; i++) queue.add("noop", { n: i });
  const items = Array.from({ length: n }, (_, i) => ({ n: i }));
  const t0 = performance.now();
  // add() is synchronous: 64 concurrent callers of one process run one after another anyway.
  if (variant === "many") queue.addMany("noop", items);
  else for (let i = 0; i < n; i++) queue.add("noop", { n: i });
  return { perSec: n / since(t0) };
}

async function drain() {
  const { n } = options;
  queue.addMany(
    "noop",
    Array.from({ length: n }, (_, i) => ({ n: i })),
  );
  let done = 0;
  let resolveDone;
  const finished = new Promise((resolve) => {
    resolveDone = resolve;
  });
  const worker = defineWorker("noop", async () => {}, {
    queue,
    logger: quiet,
    onCompleted: () => {
      if (++done === n) resolveDone();
    },
  });
  const t0 = performance.now();
  void worker.start();
  await finished;
  const jobsPerSec = n / since(t0);
  await worker.stop();
  return { jobsPerSec };
}

const result = scenario === "A" ? await enqueue() : await drain();
queue.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(result));
process.exit(0);
