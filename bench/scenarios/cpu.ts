// Scenario E: CPU-bound jobs through the Node thread pool versus inline (one thread).
import { createManager, type Scheduler } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import { nodeThreadScheduler } from "shiftwork/runtimes/node";
import * as jobs from "../cpu-jobs.js";

/** Options of {@link measureCpu}. */
export interface CpuOptions {
  /** Jobs of ~200 ms of CPU each. */
  jobs: number;
  threads: number;
}

/** Rounds of the loop that take about 200 ms here (a fixed amount of work, not a timed loop). */
function calibrate(): number {
  let rounds = 1_000_000;
  for (;;) {
    const t = performance.now();
    jobs.burn.run({ rounds }, undefined as never);
    const ms = performance.now() - t;
    if (ms > 50) return Math.round((rounds * 200) / ms);
    rounds *= 4;
  }
}

async function drain(scheduler: Scheduler, count: number, threads: number, rounds: number) {
  const manager = createManager({
    storage: memoryStorage(),
    scheduler,
    jobs,
    workers: { burn: threads },
  });
  await manager.start();
  // Warm the contexts (thread start, module load) before timing.
  await manager.enqueueMany(
    Array.from({ length: threads }, () => ({ name: "burn", input: { rounds: 1000 } })),
  );
  await new Promise((resolve) => setTimeout(resolve, 1500));
  let done = 0;
  const finished = new Promise<void>((resolve) =>
    manager.addEventListener("completed", () => {
      if (++done === count) resolve();
    }),
  );
  const t = performance.now();
  await manager.enqueueMany(
    Array.from({ length: count }, () => ({ name: "burn", input: { rounds } })),
  );
  await finished;
  const wallMs = performance.now() - t;
  await manager.stop();
  return wallMs;
}

/** Wall time of `jobs` CPU-bound jobs on `threads` threads, and inline on this one. */
export async function measureCpu(options: CpuOptions) {
  const rounds = calibrate();
  const threadsMs = await drain(
    nodeThreadScheduler({ jobs: new URL("../cpu-jobs.ts", import.meta.url) }),
    options.jobs,
    options.threads,
    rounds,
  );
  const inlineMs = await drain(inlineScheduler(), options.jobs, options.threads, rounds);
  return { threadsMs, inlineMs, ratio: threadsMs / inlineMs };
}
