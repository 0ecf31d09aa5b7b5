import { type ResourceLimits, Worker as Thread } from "node:worker_threads";
import { timerSlot } from "../../src/host/timer-slot.js";
import type {
  ExecutionContext,
  FromContext,
  Scheduler,
  SpawnOptions,
  ToContext,
} from "../../src/ports.js";

/** Options of {@link nodeThreadScheduler}. */
export interface NodeThreadSchedulerOptions {
  /** URL of the job module each thread loads, e.g. `new URL("./jobs.ts", import.meta.url)`. */
  jobs: URL | string;
  /** Memory limits of each thread; a thread that exceeds them dies alone and is replaced. */
  resourceLimits?: ResourceLimits;
  /**
   * Node flags of each thread. Default: the main thread's. Running from TypeScript sources, pass
   * `["--import", "tsx"]` (and any `--conditions`).
   */
  execArgv?: string[];
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
 * A Scheduler that runs each Worker in its own `worker_threads` thread, all loading the same job
 * module. A thread that crashes (uncaught error, `process.exit`, out of memory) reports its exit;
 * the Manager fails only that thread's job and asks for a new one.
 */
export function nodeThreadScheduler(options: NodeThreadSchedulerOptions): Scheduler {
  const jobsUrl = String(options.jobs);
  const slot = timerSlot(options.now);
  const threads = new Set<Thread>();

  async function spawn({ workerId, onMessage, onExit }: SpawnOptions): Promise<ExecutionContext> {
    const thread = new Thread(bootstrap, {
      workerData: { jobsUrl, tsx: fromSources, entry: threadEntry.href },
      name: `shiftwork ${workerId}`,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
    });
    threads.add(thread);
    let terminating = false;
    let lastError: Error | undefined;
    await new Promise<void>((resolve, reject) => {
      const early = (error: Error) => reject(error);
      const exitEarly = (code: number) =>
        reject(
          new Error(
            `[shiftwork] [node] thread ${workerId} exited with code ${code} while loading ${jobsUrl}`,
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
    thread.on("message", (batch: FromContext[]) => {
      for (const message of batch) onMessage(message);
    });
    thread.on("error", (error) => {
      lastError = error;
    });
    thread.on("exit", (code) => {
      threads.delete(thread);
      if (terminating) return;
      const reason = lastError
        ? `${lastError.name}: ${lastError.message}`
        : `exited with code ${code}`;
      onExit({ name: "ThreadExit", message: `thread ${reason}` });
    });
    // Batched like the thread's replies: one postMessage per tick.
    const outbox: ToContext[] = [];
    const flush = () => thread.postMessage(outbox.splice(0));
    return {
      send(message) {
        if (outbox.push(message) === 1) queueMicrotask(flush);
      },
      async terminate() {
        terminating = true;
        await thread.terminate();
      },
    };
  }

  return {
    name: "node-threads",
    spawn,
    wakeAt: (time, callback) => slot.wakeAt(time, callback),
    async close() {
      slot.clear();
      await Promise.all([...threads].map((thread) => thread.terminate()));
    },
  };
}
