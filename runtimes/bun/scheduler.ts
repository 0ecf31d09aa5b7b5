import { timerSlot } from "../../src/host/timer-slot.js";
import type { ExecutionContext, FromContext, Scheduler, SpawnOptions } from "../../src/ports.js";

/** Options of {@link bunWorkerScheduler}. */
export interface BunWorkerSchedulerOptions {
  /** URL of the job module each worker loads, e.g. `new URL("./jobs.ts", import.meta.url)`. */
  jobs: URL | string;
  /**
   * Bun ignores `resourceLimits`, so the host watches memory instead: while the process's resident
   * memory is above this many MiB, the worker that has been busy longest is terminated (its job
   * fails, a new worker takes its place). Default: no limit.
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

interface Live {
  worker: Worker;
  busySince: number | null;
  kill(reason: string): void;
}

/**
 * A Scheduler on Bun's Web Workers: one worker per Manager Worker, all loading the same job module
 * (TypeScript runs as is). A worker that crashes or exits reports it; the Manager fails only its
 * job and asks for a new one.
 */
export function bunWorkerScheduler(options: BunWorkerSchedulerOptions): Scheduler {
  const jobsUrl = String(options.jobs);
  const slot = timerSlot(options.now);
  const live = new Set<Live>();
  let watch: ReturnType<typeof setInterval> | undefined;

  let quietUntil = 0;
  const checkMemory = () => {
    const limit = options.maxRssMb;
    // After a kill, give the memory a moment to come back before blaming another worker.
    if (limit === undefined || Date.now() < quietUntil) return;
    if (process.memoryUsage().rss / 2 ** 20 <= limit) return;
    quietUntil = Date.now() + 1000;
    // Memory is per process on Bun, not per worker: blame the worker busy the longest.
    let culprit: Live | undefined;
    for (const entry of live) {
      if (entry.busySince !== null && (!culprit || entry.busySince < (culprit.busySince ?? 0)))
        culprit = entry;
    }
    culprit?.kill(`memory over ${limit} MiB (the host's resident memory limit)`);
  };

  async function spawn({ onMessage, onExit }: SpawnOptions): Promise<ExecutionContext> {
    const worker = new Worker(workerEntry);
    let terminating = false;
    let lastError: string | undefined;
    const entry: Live = {
      worker,
      busySince: null,
      kill(reason) {
        lastError = reason;
        live.delete(entry);
        worker.terminate();
        onExit({ name: "WorkerExit", message: `worker terminated: ${reason}` });
      },
    };
    await new Promise<void>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent) => {
        if ((event.data as { type?: string }).type === "ready") resolve();
      };
      const failed = (why: string) => {
        worker.terminate();
        reject(new Error(`[shiftwork] [bun] worker failed to load ${jobsUrl}: ${why}`));
      };
      worker.onerror = (event: ErrorEvent) => failed(event.message);
      // A module that exits while loading closes the worker without an error event.
      worker.addEventListener("close", () => failed("it closed"), { once: true });
      worker.postMessage({ type: "init", jobsUrl });
    });
    live.add(entry);
    if (options.maxRssMb !== undefined)
      watch ??= setInterval(checkMemory, options.memoryCheckInterval ?? 250);
    worker.onmessage = (event: MessageEvent) => {
      const message = event.data as FromContext;
      if (message.type === "done") entry.busySince = null;
      onMessage(message);
    };
    worker.onerror = (event: ErrorEvent) => {
      lastError = event.message;
      event.preventDefault();
    };
    worker.addEventListener("close", (event) => {
      if (terminating || !live.has(entry)) return;
      live.delete(entry);
      const code = (event as unknown as { code?: number }).code;
      onExit({
        name: "WorkerExit",
        message: `worker ${lastError ? `error: ${lastError}` : `exited with code ${code}`}`,
      });
    });
    return {
      send(message) {
        if (message.type === "run") entry.busySince = Date.now();
        worker.postMessage(message);
      },
      terminate() {
        terminating = true;
        live.delete(entry);
        worker.terminate();
      },
    };
  }

  return {
    name: "bun-workers",
    spawn,
    wakeAt: (time, callback) => slot.wakeAt(time, callback),
    close() {
      slot.clear();
      if (watch !== undefined) clearInterval(watch);
      for (const entry of live) entry.worker.terminate();
      live.clear();
    },
  };
}
