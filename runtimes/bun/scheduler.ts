import { setImmediate } from "node:timers";
import { MAX_TIMER_MS } from "../../src/_long-timer.js";
import { type PooledThread, type ThreadEvents, threadPool } from "../../src/host/thread-pool.js";
import { timerSlot } from "../../src/host/timer-slot.js";
import type { FromContext, Scheduler } from "../../src/ports.js";

/** Options of {@link bunWorkerScheduler}. */
export interface BunWorkerSchedulerOptions {
  /** URL of the job module each worker loads, e.g. `new URL("./jobs.ts", import.meta.url)`. */
  jobs: URL | string;
  /**
   * Most Web Workers (threads) to start; Manager Workers beyond it share them (least-loaded
   * first), each running the jobs of all its Manager Workers at once. Default: one per Manager
   * Worker. Named as `nodeThreadScheduler`'s option, with the same trade-off: far higher
   * throughput for short jobs, but a crash, an exit or a memory kill fails every job running in
   * that thread, and a handler that ignores its abort past `abortGrace` can only be stopped by
   * ending its thread, which fails the other jobs on it too.
   */
  threads?: number;
  /**
   * Bun ignores `resourceLimits`, so the host watches memory instead: while the process's resident
   * memory is above this many MiB, the worker running the job that started longest ago is
   * terminated (its jobs fail, a new worker takes its place). Default: no limit.
   */
  maxRssMb?: number;
  /** How often memory is checked, ms. Default 250. */
  memoryCheckInterval?: number;
  /** Clock for the wake-up slot (default `Date.now`). */
  now?: () => number;
}

// From the sources Bun runs the TypeScript entry; built, this code may sit in a shared chunk, so
// the entry is found through the package's own exports.
const workerEntry = import.meta.url.endsWith(".ts")
  ? new URL("./worker.ts", import.meta.url).href
  : import.meta.resolve("shiftwork/runtimes/bun/worker");

/**
 * A Scheduler on Bun's Web Workers, all loading the same job module (TypeScript runs as is). By
 * default each Manager Worker has a worker of its own: one that crashes or exits fails only its
 * job. With `threads`, Manager Workers share at most that many (see its trade-off).
 */
export function bunWorkerScheduler(options: BunWorkerSchedulerOptions): Scheduler {
  const jobsUrl = String(options.jobs);
  const slot = timerSlot(options.now);
  const exitError = (reason: string) => ({ name: "WorkerExit", message: `worker ${reason}` });
  let watch: ReturnType<typeof setInterval> | undefined;

  async function start(_label: string, events: ThreadEvents): Promise<PooledThread> {
    const worker = new Worker(workerEntry);
    await new Promise<void>((resolve, reject) => {
      const failed = (why: string) => {
        worker.terminate();
        reject(new Error(`[shiftwork] [bun] worker failed to load ${jobsUrl}: ${why}`));
      };
      // A module that exits while loading closes the worker without an error event.
      const closed = () => failed("it closed");
      worker.onmessage = (event: MessageEvent) => {
        if ((event.data as { type?: string }).type !== "ready") return;
        worker.removeEventListener("close", closed);
        resolve();
      };
      worker.onerror = (event: ErrorEvent) => failed(event.message);
      worker.addEventListener("close", closed, { once: true });
      worker.postMessage({ type: "init", jobsUrl });
    });
    let lastError: string | undefined;
    worker.onmessage = (event: MessageEvent) => events.message(event.data as FromContext[]);
    worker.onerror = (event: ErrorEvent) => {
      lastError = event.message;
      event.preventDefault();
    };
    worker.addEventListener("close", (event) => {
      const code = (event as unknown as { code?: number }).code;
      events.exit(exitError(lastError ? `error: ${lastError}` : `exited with code ${code}`));
    });
    return {
      post: (batch) => worker.postMessage(batch),
      terminate: () => worker.terminate(),
    };
  }

  const pool = threadPool({ threads: options.threads, start, exitError });

  let quietUntil = 0;
  const checkMemory = () => {
    const limit = options.maxRssMb;
    // After a kill, give the memory a moment to come back before blaming another worker.
    if (limit === undefined || Date.now() < quietUntil) return;
    if (process.memoryUsage().rss / 2 ** 20 <= limit) return;
    // Memory is per process on Bun, not per worker: blame the job running the longest.
    if (pool.killLongestBusy(`memory over ${limit} MiB (the host's resident memory limit)`))
      quietUntil = Date.now() + 1000;
  };

  return {
    name: "bun-workers",
    spawn(spawnOptions) {
      if (options.maxRssMb !== undefined)
        watch ??= setInterval(
          checkMemory,
          Math.min(options.memoryCheckInterval ?? 250, MAX_TIMER_MS),
        );
      return pool.spawn(spawnOptions);
    },
    wakeAt: (time, callback) => slot.wakeAt(time, callback),
    // Each thread's results come in a message of their own; messages already queued are delivered
    // before the next setImmediate, so the results of all threads share one transaction. From
    // node:timers, which fake timers in tests leave alone: this waits for messages, not for time.
    delivered: () => new Promise<void>((resolve) => setImmediate(resolve)),
    async close() {
      slot.clear();
      if (watch !== undefined) clearInterval(watch);
      watch = undefined;
      await pool.close();
    },
  };
}
