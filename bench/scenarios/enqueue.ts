// Scenario A: enqueue through the Manager (validation included) into a libSQL file.
import { createManager } from "shiftwork";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import { cpuMicros, fileStorage, since, tempDir } from "../_host.js";
import * as jobs from "../jobs.js";

/** Options of {@link measureEnqueue}. */
export interface EnqueueOptions {
  n: number;
  /** Concurrent callers of the `concurrent` variant. */
  callers: number;
}

/**
 * `one`: N awaited enqueues one after another; `concurrent`: the same N shared by `callers` async
 * callers; `many`: one `enqueueMany` of N. Returns jobs per second.
 */
export async function measureEnqueue(
  variant: "one" | "concurrent" | "many",
  { n, callers }: EnqueueOptions,
): Promise<{ perSec: number; cpuUsPerJob: number }> {
  const tmp = tempDir();
  const storage = await fileStorage(`${tmp.dir}/a.db`);
  const manager = createManager({
    storage,
    scheduler: inlineScheduler(),
    jobs,
    workers: {},
  });
  await manager.start();
  for (let i = 0; i < 100; i++) await manager.enqueue(jobs.noop, { n: i });
  const items =
    variant === "many"
      ? Array.from({ length: n }, (_, i) => ({ name: "noop", input: { n: i } }))
      : [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (variant === "one") {
    for (let i = 0; i < n; i++) await manager.enqueue(jobs.noop, { n: i });
  } else if (variant === "concurrent") {
    let next = 0;
    const caller = async () => {
      while (next < n) await manager.enqueue(jobs.noop, { n: next++ });
    };
    await Promise.all(Array.from({ length: callers }, caller));
  } else {
    await manager.enqueueMany(items);
  }
  const perSec = n / since(t0);
  const cpuUsPerJob = cpuMicros(process.cpuUsage(cpu0)) / n;
  await manager.stop();
  // Closed before its folder goes: the checkpoint thread may otherwise write there meanwhile.
  await storage.close?.();
  tmp.remove();
  return { perSec, cpuUsPerJob };
}
