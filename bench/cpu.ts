// Scenario E: CPU-bound jobs through 2 worker threads vs inline (one thread). Prints wall times;
// asserts nothing. Run: npm run bench
import { cpus } from "node:os";
import { createManager, type Scheduler } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import { nodeThreadScheduler } from "shiftwork/runtimes/node";
import * as jobs from "./cpu-jobs.js";

const JOBS = Number(process.env.BENCH_CPU_JOBS ?? 8);

/** Rounds of the loop that take about 200 ms on this machine. */
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

async function drain(scheduler: Scheduler, count: number, rounds: number): Promise<number> {
  const manager = createManager({
    storage: memoryStorage(),
    scheduler,
    jobs,
    workers: { burn: 2 },
  });
  await manager.start();
  // Warm up the contexts (thread start, module load) before timing.
  await manager.enqueueMany([
    { name: "burn", input: { rounds: 1000 } },
    { name: "burn", input: { rounds: 1000 } },
  ]);
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
  const wall = performance.now() - t;
  await manager.stop();
  return Math.round(wall);
}

const rounds = calibrate();
const one = (() => {
  const t = performance.now();
  jobs.burn.run({ rounds }, undefined as never);
  return Math.round(performance.now() - t);
})();
const threads = () => nodeThreadScheduler({ jobs: new URL("./cpu-jobs.ts", import.meta.url) });
const rows = {
  "2 jobs, 2 threads": await drain(threads(), 2, rounds),
  "2 jobs, inline": await drain(inlineScheduler(), 2, rounds),
  [`${JOBS} jobs, 2 threads`]: await drain(threads(), JOBS, rounds),
  [`${JOBS} jobs, inline`]: await drain(inlineScheduler(), JOBS, rounds),
};
console.log(
  `CPU-bound jobs (one job = ${one} ms of CPU), ${cpus().length} cores, node ${process.version}`,
);
console.table(
  Object.fromEntries(
    Object.entries(rows).map(([k, ms]) => [
      k,
      { "wall ms": ms, "× one job": (ms / one).toFixed(2) },
    ]),
  ),
);
