// Scenario D: claim time and drain rate with a small versus a large backlog of waiting jobs, and
// the peak RSS of the process while that backlog waits.
import { createManager } from "shiftwork";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import { q, type Verb } from "../../adapters/_sql/driver.js";
import { completions, seedableStorage, since } from "../_host.js";
import { median } from "../_stats.js";
import * as jobs from "../jobs.js";

/** Options of {@link measureScale}. */
export interface ScaleOptions {
  /** Jobs waiting before the measurement. */
  waiting: number;
  /** Claims timed (each claims `concurrency` jobs and records them completed). */
  claims: number;
  concurrency: number;
  /** Jobs drained by the Manager for the drain rate. */
  drain: number;
}

const SEED_CHUNK = 100_000;

/** Inserts `count` waiting no-op jobs with one statement per chunk: the seeding is not measured. */
function* seed(count: number, now: number): Verb<void> {
  yield q(
    `INSERT INTO shiftwork_jobs
       (name, queue, input, state, priority, run_at, max_attempts, key, created_at, updated_at)
     WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
     SELECT 'noop', 'default', json_object('n', i), 'waiting', 0, ?, 3, NULL, ?, ? FROM c`,
    count,
    now,
    now,
    now,
  );
}

/** Claim time (median ms of one claim of `concurrency` jobs), drain rate and peak RSS (MB). */
export async function measureScale({ waiting, claims, concurrency, drain }: ScaleOptions) {
  const { tmp, storage, engine } = await seedableStorage("d.db");
  const now = Date.now() - 1000;
  const t0 = performance.now();
  for (let left = waiting; left > 0; left -= SEED_CHUNK) {
    await engine.transaction("write", () => seed(Math.min(SEED_CHUNK, left), now));
  }
  const seedSec = since(t0);

  const claimMs: number[] = [];
  for (let i = 0; i < claims; i++) {
    const t = performance.now();
    const claimed = await storage.claim({
      names: ["noop"],
      limit: concurrency,
      leaseMs: 30_000,
      now: Date.now(),
    });
    claimMs.push(performance.now() - t);
    await storage.record(completions(claimed), Date.now());
  }

  const manager = createManager({
    storage,
    scheduler: inlineScheduler(),
    jobs,
    workers: { noop: concurrency },
  });
  let done = 0;
  const drained = new Promise<void>((resolve) =>
    manager.addEventListener("completed", () => {
      if (++done === drain) resolve();
    }),
  );
  const t1 = performance.now();
  await manager.start();
  await drained;
  const jobsPerSec = drain / since(t1);
  await manager.stop();
  const rssMb = process.resourceUsage().maxRSS / 1024;
  // Closed before its folder goes: the checkpoint thread may otherwise write there meanwhile.
  await storage.close?.();
  tmp.remove();
  return { waiting, claimMs: median(claimMs), jobsPerSec, rssMb, seedSec };
}
