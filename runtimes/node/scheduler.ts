import { setImmediate } from "node:timers";
import { type ResourceLimits, Worker as Thread } from "node:worker_threads";
import { type PooledThread, type ThreadEvents, threadPool } from "../../src/host/thread-pool.js";
import { timerSlot } from "../../src/host/timer-slot.js";
import type { FromContext, Scheduler } from "../../src/ports.js";

/** Options of {@link nodeThreadScheduler}. */
export interface NodeThreadSchedulerOptions {
  /** URL of the job module each thread loads, e.g. `new URL("./jobs.ts", import.meta.url)`. */
  jobs: URL | string;
  /**
   * Memory limits of each thread; a thread that exceeds them dies alone (failing the jobs running
   * in it) and is replaced.
   */
  resourceLimits?: ResourceLimits;
  /**
   * Node flags of each thread. Default: the main thread's. Running from TypeScript sources, pass
   * `["--import", "tsx"]` (and any `--conditions`).
   */
  execArgv?: string[];
  /**
   * Most threads to start; Workers beyond it share them (least-loaded first), each thread running
   * the jobs of all its Workers at once. Default: one thread per Worker. Sharing saves a thread
   * per Worker and lets one postMessage per tick carry many jobs (far higher throughput for short
   * jobs), at a price: a crash, `process.exit` or out-of-memory in a thread fails every job running
   * in it, and a handler that ignores its abort past `abortGrace` can only be stopped by ending
   * its thread, which fails the jobs of the other Workers on it too. Their Workers get new threads;
   * the jobs are retried as any failed attempt is.
   */
  threads?: number;
  /** Clock for the wake-up slot (default `Date.now`). */
  now?: () => number;
}

// In the build the thread entry is JavaScript. From the TypeScript sources, a JavaScript bootstrap
// registers tsx first: Node 20 does not apply `--import` loaders to a thread's entry.
const fromSources = import.meta.url.endsWith(".ts");
// Built, this code may sit in a shared chunk: find the entry through the package's own exports.
const threadEntry = fromSources
  ? new URL("./thread.ts", import.meta.url)
  : new URL(import.meta.resolve("shiftwork/runtimes/node/thread"));
const bootstrap = fromSources ? new URL("./_tsx-bootstrap.mjs", import.meta.url) : threadEntry;

/**
 * A Scheduler on `worker_threads`, all threads loading the same job module. By default each
 * Manager Worker has a thread of its own: a thread that crashes (uncaught error, `process.exit`,
 * out of memory) or is terminated for a handler that ignores its abort takes only that Worker's
 * job along. With `threads`, Workers share at most that many threads (see its trade-off).
 */
export function nodeThreadScheduler(options: NodeThreadSchedulerOptions): Scheduler {
  const jobsUrl = String(options.jobs);
  const slot = timerSlot(options.now);
  const exitError = (reason: string) => ({ name: "ThreadExit", message: `thread ${reason}` });

  async function start(label: string, events: ThreadEvents): Promise<PooledThread> {
    const thread = new Thread(bootstrap, {
      workerData: { jobsUrl, tsx: fromSources, entry: threadEntry.href },
      name: `shiftwork ${label}`,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      const early = (error: Error) => reject(error);
      const exitEarly = (code: number) =>
        reject(
          new Error(
            `[shiftwork] [node] thread ${label} exited with code ${code} while loading ${jobsUrl}`,
          ),
        );
      thread.once("error", early);
      thread.once("exit", exitEarly);
      thread.once("message", () => {
        thread.off("error", early);
        thread.off("exit", exitEarly);
        resolve();
      });
    });
    let lastError: Error | undefined;
    thread.on("message", (batch: FromContext[]) => events.message(batch));
    thread.on("error", (error) => {
      lastError = error;
    });
    thread.on("exit", (code) =>
      events.exit(
        exitError(
          lastError ? `${lastError.name}: ${lastError.message}` : `exited with code ${code}`,
        ),
      ),
    );
    return {
      post: (batch) => thread.postMessage(batch),
      terminate: () => thread.terminate(),
    };
  }

  const pool = threadPool({ threads: options.threads, start, exitError });
  return {
    name: "node-threads",
    spawn: (spawnOptions) => pool.spawn(spawnOptions),
    wakeAt: (time, callback) => slot.wakeAt(time, callback),
    // Each thread's results come in a message of their own; messages already queued are delivered
    // before the next setImmediate, so the results of all threads share one transaction. From
    // node:timers, which fake timers in tests leave alone: this waits for messages, not for time.
    delivered: () => new Promise<void>((resolve) => setImmediate(resolve)),
    async close() {
      slot.clear();
      await pool.close();
    },
  };
}
