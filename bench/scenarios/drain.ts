// Scenario B: drain N waiting no-op jobs from a libSQL file, handlers inline or in threads (the
// same number of Workers either way; in threads they share `threads` threads).
import { createManager } from "shiftwork";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import { fileStorage, tempDir, threadScheduler, timeDrain } from "../_host.js";
import * as jobs from "../jobs.js";

/** Options of {@link measureDrain}. */
export interface DrainOptions {
  n: number;
  /** Workers of either variant (the claim batch is at most this). */
  concurrency: number;
  /** Threads (Node) or Web Workers (Bun) the `threads` variant's Workers share. */
  threads: number;
}

/**
 * Seeds N jobs into a paused queue, then times resume → the N-th `completed` event. A `completed`
 * event fires only once its result's group commit is written, so every counted job is on disk.
 */
export async function measureDrain(
  variant: "inline" | "threads",
  { n, concurrency, threads }: DrainOptions,
): Promise<{ jobsPerSec: number; cpuUsPerJob: number }> {
  const tmp = tempDir();
  const storage = await fileStorage(`${tmp.dir}/b.db`);
  const manager = createManager({
    storage,
    scheduler: variant === "inline" ? inlineScheduler() : await threadScheduler(threads),
    jobs,
    workers: { noop: concurrency },
  });
  await manager.start();
  await manager.pause();
  for (let i = 0; i < n; i += 10_000) {
    const size = Math.min(10_000, n - i);
    await manager.enqueueMany(
      Array.from({ length: size }, (_, j) => ({ name: "noop", input: { n: i + j } })),
    );
  }
  const result = await timeDrain(manager, n);
  await manager.stop();
  // Closed before its folder goes: the checkpoint thread may otherwise write there meanwhile.
  await storage.close?.();
  tmp.remove();
  return result;
}
