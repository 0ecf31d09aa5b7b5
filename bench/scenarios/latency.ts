// Scenario C: enqueue → handler-start latency with an idle worker waiting, the enqueue made in the
// same process or by another process on the same file.
import { spawn } from "node:child_process";
import { createManager } from "shiftwork";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import { fileStorage, tempDir } from "../_host.js";
import { percentile } from "../_stats.js";
import * as jobs from "../jobs.js";

/** Options of {@link measureLatency}. */
export interface LatencyOptions {
  /** Enqueues per second. */
  rate: number;
  /** Seconds of enqueueing. */
  duration: number;
  /** Seconds the idle consumer's CPU use is measured for. */
  idle?: number;
  /**
   * The consumer's `changePollInterval` (ms): how often it checks `PRAGMA data_version` besides
   * the file watch. Default: the adapter's (250).
   */
  poll?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Enqueues `probe` jobs at `rate` per second for `duration` seconds through `enqueue`. */
export async function produce(
  enqueue: (sentAt: number) => Promise<unknown>,
  { rate, duration }: LatencyOptions,
): Promise<number> {
  const count = Math.round(rate * duration);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    await enqueue(jobs.wallNow());
  }
  return count;
}

/** The producer process of the `other` variant: enqueues into the file at `path`, then exits. */
export async function runProducer(path: string, options: LatencyOptions): Promise<void> {
  const storage = await fileStorage(path);
  const manager = createManager({ storage, scheduler: inlineScheduler(), jobs, workers: {} });
  await manager.start();
  await produce((sentAt) => manager.enqueue(jobs.probe, { sentAt }), options);
  await manager.stop();
  await storage.close?.();
}

/**
 * One idle worker waits; jobs arrive at `rate`/s. Returns p50/p95/p99 of enqueue → handler start
 * in ms, and the idle consumer's CPU use (percent of one core) before the jobs arrive: the cost of
 * waiting for work (the file watch and the `PRAGMA data_version` poll that notice other processes'
 * enqueues).
 */
export async function measureLatency(
  variant: "same" | "other",
  options: LatencyOptions,
): Promise<{ p50: number; p95: number; p99: number; idleCpuPct: number }> {
  const tmp = tempDir();
  const path = `${tmp.dir}/c.db`;
  const storage = await fileStorage(path, options.poll);
  const manager = createManager({
    storage,
    scheduler: inlineScheduler(),
    jobs,
    workers: { probe: 1 },
  });
  manager.addEventListener("error", (event) => console.error(event));
  await manager.start();
  // Warm up the path, then measure what waiting costs.
  for (let i = 0; i < 20; i++) await manager.enqueue(jobs.probe, { sentAt: jobs.wallNow() });
  await sleep(200);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep((options.idle ?? 2) * 1000);
  const cpu = process.cpuUsage(cpu0);
  const idleCpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
  jobs.probeStarts.length = 0;

  let expected: number;
  if (variant === "same") {
    expected = await produce((sentAt) => manager.enqueue(jobs.probe, { sentAt }), options);
  } else {
    expected = Math.round(options.rate * options.duration);
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        new URL("../measure.ts", import.meta.url).pathname,
        "C-producer",
        "-",
        JSON.stringify({ path, ...options }),
      ],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    if (code !== 0) throw new Error(`producer exited with ${code}`);
  }
  for (let i = 0; i < 500 && jobs.probeStarts.length < expected; i++) await sleep(10);
  if (jobs.probeStarts.length !== expected) {
    throw new Error(`expected ${expected} probes to start, saw ${jobs.probeStarts.length}`);
  }
  const ms = jobs.probeStarts.map((s) => s.startedAt - s.sentAt);
  await manager.stop();
  // Closed before its folder goes: the checkpoint thread may otherwise write there meanwhile.
  await storage.close?.();
  tmp.remove();
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99), idleCpuPct };
}
