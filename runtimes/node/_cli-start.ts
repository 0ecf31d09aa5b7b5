import { libsqlStorage } from "../../adapters/libsql.js";
import { ShiftworkError } from "../../src/errors.js";
import type { JobEvent, ManagerErrorEvent } from "../../src/events.js";
import { createApp } from "../../src/http/app.js";
import { createManager } from "../../src/manager.js";
import type { Scheduler, Storage } from "../../src/ports.js";
import { loadJobs } from "./_load-jobs.js";
import { listen } from "./_serve.js";
import { UsageError } from "./_usage-error.js";
import { nodeThreadScheduler } from "./scheduler.js";

/** Options of `shiftwork start`, as given on the command line. */
export interface StartOptions {
  jobs: URL;
  db: string;
  port: string;
  host: string;
  workers: string | undefined;
  token: string | undefined;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * The host this process is: on Bun, Bun's Web Workers and (for local files) `bun:sqlite`, the
 * faster SQLite there; on Node, worker threads and the `libsql` binding. Bun modules load lazily.
 */
async function hostFor(
  options: StartOptions,
): Promise<{ storage: Storage; scheduler: Scheduler; host: string }> {
  if ("Bun" in globalThis) {
    const { bunWorkerScheduler } = await import("../bun/scheduler.js");
    const local = /^file:(?!\/\/)(.*)$/.exec(options.db)?.[1];
    const storage = local
      ? (await import("../../adapters/bun-sqlite.js")).bunSqliteStorage({ path: local })
      : libsqlStorage({ url: options.db });
    return { storage, scheduler: bunWorkerScheduler({ jobs: options.jobs }), host: "Bun workers" };
  }
  return {
    storage: libsqlStorage({ url: options.db }),
    scheduler: nodeThreadScheduler({ jobs: options.jobs }),
    host: "Node worker_threads",
  };
}

/** Parses `--workers name=N,queue=M`. */
export function parseWorkers(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const part of text.split(",")) {
    const match = /^\s*([^=\s]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!match) throw new UsageError(`--workers: expected name=N[,name=N...], got "${part}"`);
    counts[match[1] as string] = Number(match[2]);
  }
  return counts;
}

/** Parses `--port`: 0 (any free port) to 65535. */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535)
    throw new UsageError(`--port: expected 0..65535, got "${text}"`);
  return port;
}

/**
 * `shiftwork start`: a Manager with one worker thread per worker, on a libSQL file, until SIGINT or
 * SIGTERM (a second one forces the stop). Resolves to the exit code.
 */
export async function runStart(options: StartOptions): Promise<number> {
  const port = parsePort(options.port);
  if (!LOOPBACK.has(options.host) && !options.token) {
    throw new UsageError(
      `--host ${options.host} is not a loopback address: give --token to protect it`,
    );
  }
  const jobs = await loadJobs(options.jobs);
  const workers = options.workers
    ? parseWorkers(options.workers)
    : Object.fromEntries([...jobs.keys()].map((name) => [name, 1]));
  const { storage, scheduler, host } = await hostFor(options);
  const manager = createManager({ storage, scheduler, jobs: [...jobs.values()], workers });

  let finished = 0;
  const tty = process.stdout.isTTY === true;
  const line = (text: string) => {
    if (tty) process.stdout.write("\r\x1b[2K");
    console.log(text);
  };
  for (const type of ["completed", "failed", "cancelled"]) {
    manager.addEventListener(type, () => finished++);
  }
  for (const type of ["failed", "retrying", "stale"]) {
    manager.addEventListener(type, (event) => {
      const e = event as JobEvent;
      line(`${type.padEnd(9)} ${e.name} #${e.jobId} ${e.error?.message ?? e.refused ?? ""}`);
    });
  }
  manager.addEventListener("error", (event) => {
    const { during, error } = event as ManagerErrorEvent;
    line(`error     during ${during}: ${(error as Error)?.message ?? error}`);
  });

  const app = createApp(manager, {
    ...(options.token ? { token: options.token } : {}),
    // On loopback, answer only to loopback names: a page on another site cannot reach this
    // server through a DNS name that resolves to 127.0.0.1 (DNS rebinding).
    ...(LOOPBACK.has(options.host) ? { hosts: ["localhost", "127.0.0.1", "[::1]"] } : {}),
  });
  // Bound before the Manager starts: a port in use (another host, say) ends this one before it has
  // claimed or run anything. A request that comes meanwhile waits for the start.
  let started: () => void = () => {};
  let failed: (error: unknown) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    started = resolve;
    failed = reject;
  });
  ready.catch(() => {});
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(
      { fetch: async (request) => ready.then(() => app.fetch(request)) },
      options.host,
      port,
    );
  } catch (error) {
    await manager.stop({ graceful: false });
    throw new ShiftworkError(
      `cannot listen on ${options.host}:${port}: ${(error as Error)?.message ?? error}`,
      { cause: error },
    );
  }
  try {
    await manager.start();
  } catch (error) {
    failed(error);
    await server.close();
    throw error;
  }
  started();
  const count = Object.values(workers).reduce((a, b) => a + b, 0);
  line(
    `shiftwork: ${count} worker threads (${host}) for ${options.jobs.pathname} on ${options.db}`,
  );
  // A --workers key that names no job is a queue; one no job goes to by default is most likely
  // a typo, whose Workers would wait for ever without a word.
  const queues = new Set([...jobs.values()].map((job) => job.queue ?? "default"));
  for (const key of Object.keys(workers)) {
    if (jobs.has(key) || queues.has(key)) continue;
    line(
      `shiftwork: --workers ${key}: no job is named "${key}" and none goes to queue "${key}" by default; these Workers take only jobs enqueued with queue "${key}"`,
    );
  }
  line(
    `shiftwork: listening on http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${server.port}; Ctrl+C stops`,
  );

  let last = { at: Date.now(), finished: 0 };
  const progress = tty
    ? setInterval(async () => {
        const now = Date.now();
        const rate = ((finished - last.finished) * 1000) / Math.max(1, now - last.at);
        last = { at: now, finished };
        const stats = await manager.stats().catch(() => []);
        const sum = (key: "waiting" | "active" | "failed") => stats.reduce((n, q) => n + q[key], 0);
        process.stdout.write(
          `\r\x1b[2K${rate.toFixed(0)} jobs/s  waiting ${sum("waiting")}  active ${sum("active")}  failed ${sum("failed")}`,
        );
      }, 1000)
    : undefined;

  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: string) => {
      signals++;
      if (signals === 1) {
        line(`shiftwork: ${signal}: stopping after the running jobs (again to force)`);
        void manager.stop().then(resolve);
      } else {
        line(`shiftwork: ${signal}: forcing the stop; unfinished jobs are released`);
        void manager.stop({ graceful: false }).then(resolve);
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  if (progress) clearInterval(progress);
  await server.close();
  line(`shiftwork: stopped; ${finished} jobs finished in this run`);
  return 0;
}
