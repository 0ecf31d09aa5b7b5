// Scenario D, backlog figure: what a backlog of ready jobs that a worker group does not take costs
// that group. `backlog` older ready jobs of another name wait in another, paused queue (ahead of
// the group's jobs in claim order); the Manager's two filter shapes claim their own jobs and ask
// for their wake-up time past it.
import type { ClaimFilter } from "shiftwork";
import { q, type Verb } from "../../adapters/_sql/driver.js";
import { completions, seedableStorage } from "../_host.js";
import { median } from "../_stats.js";

/** Options of {@link measureBacklog}. */
export interface BacklogOptions {
  /** Ready jobs of another name, in another (paused) queue, ahead in claim order. */
  backlog: number;
  /** Claims timed per filter shape (each claims `concurrency` jobs and records them completed). */
  claims: number;
  concurrency: number;
}

const SEED_CHUNK = 100_000;

/** Inserts `count` ready jobs with one statement per chunk: the seeding is not measured. */
function* seed(count: number, name: string, queue: string, runAt: number): Verb<void> {
  yield q(
    `INSERT INTO shiftwork_jobs
       (name, queue, input, state, priority, run_at, max_attempts, key, created_at, updated_at)
     WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
     SELECT ?, ?, json_object('n', i), 'waiting', 0, ?, 3, NULL, ?, ? FROM c`,
    count,
    name,
    queue,
    runAt,
    runAt,
    runAt,
  );
}

/**
 * Median ms of one claim of `concurrency` jobs, and of one `nextWakeAt`, for a name group
 * (`{ names: ["noop"] }`) and a queue group (`{ queues: ["default"], names: [...] }`).
 */
export async function measureBacklog({ backlog, claims, concurrency }: BacklogOptions) {
  const { tmp, storage, engine } = await seedableStorage("backlog.db");
  const now = Date.now() - 1000;
  for (let left = backlog; left > 0; left -= SEED_CHUNK) {
    const count = Math.min(SEED_CHUNK, left);
    await engine.transaction("write", () => seed(count, "other", "held", now - 500));
  }
  await storage.setPaused("held", true);
  await engine.transaction("write", () => seed(2 * claims * concurrency, "noop", "default", now));

  const time = async (filter: ClaimFilter) => {
    const claimMs: number[] = [];
    const wakeMs: number[] = [];
    for (let i = 0; i < claims; i++) {
      let t = performance.now();
      await storage.nextWakeAt(filter);
      wakeMs.push(performance.now() - t);
      t = performance.now();
      const claimed = await storage.claim({
        ...filter,
        limit: concurrency,
        leaseMs: 30_000,
        now: Date.now(),
      });
      claimMs.push(performance.now() - t);
      if (claimed.length !== concurrency) throw new Error("the backlog scenario ran out of jobs");
      await storage.record(completions(claimed), Date.now());
    }
    return { claimMs: median(claimMs), wakeMs: median(wakeMs) };
  };
  const byName = await time({ names: ["noop"] });
  const byQueue = await time({ queues: ["default"], names: ["noop", "probe"] });
  await storage.close?.();
  tmp.remove();
  return {
    backlog,
    nameClaimMs: byName.claimMs,
    nameWakeMs: byName.wakeMs,
    queueClaimMs: byQueue.claimMs,
    queueWakeMs: byQueue.wakeMs,
  };
}
