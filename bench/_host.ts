// What differs between the Node and the Bun child of a measurement: the storage over a fresh
// database file and the scheduler that runs handlers off the main thread.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClaimedJob, JobResult, Scheduler } from "shiftwork";
import { type LibsqlStorage, libsqlStorage } from "shiftwork/adapters/libsql";

/** True under Bun. */
export const isBun = "Bun" in globalThis;

/** The job module the threads (or Bun workers) load. */
export const jobsUrl = new URL("./jobs.ts", import.meta.url);

/** A fresh directory for database files, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "shiftwork-bench-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The storage a host uses by default on a local file: libSQL's synchronous binding on Node,
 * `bun:sqlite` on Bun (faster there). Both WAL + synchronous=NORMAL, the project's "durable".
 */
export async function fileStorage(
  path: string,
  changePollInterval?: number,
): Promise<LibsqlStorage> {
  const extra = changePollInterval === undefined ? {} : { changePollInterval };
  if (isBun) {
    const { bunSqliteStorage } = await import("shiftwork/adapters/bun-sqlite");
    return bunSqliteStorage({ path, ...extra });
  }
  return libsqlStorage({ url: `file:${path}`, ...extra });
}

/**
 * The scheduler that runs handlers in threads: worker_threads on Node, Web Workers on Bun. With
 * `threads`, the Manager's Workers share at most that many; without, each has its own.
 */
export async function threadScheduler(threads?: number): Promise<Scheduler> {
  const options = { jobs: jobsUrl, ...(threads === undefined ? {} : { threads }) };
  if (isBun) {
    const { bunWorkerScheduler } = await import("shiftwork/runtimes/bun");
    return bunWorkerScheduler(options);
  }
  const { nodeThreadScheduler } = await import("shiftwork/runtimes/node");
  return nodeThreadScheduler(options);
}

/**
 * Times a paused Manager's drain: from `resume` to the `n`-th `completed` event (which fires once
 * its result's group commit is written, so every counted job is on disk).
 */
export async function timeDrain(
  manager: { resume(): Promise<void>; addEventListener(type: string, listener: () => void): void },
  n: number,
): Promise<{ jobsPerSec: number; cpuUsPerJob: number }> {
  let done = 0;
  const finished = new Promise<void>((resolve) =>
    manager.addEventListener("completed", () => {
      if (++done === n) resolve();
    }),
  );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await manager.resume();
  await finished;
  return { jobsPerSec: n / since(t0), cpuUsPerJob: cpuMicros(process.cpuUsage(cpu0)) / n };
}

/** Seconds since `t0` (a `performance.now()` reading). */
export const since = (t0: number) => (performance.now() - t0) / 1000;

/**
 * CPU time (user + system, every thread of this process) of a `process.cpuUsage()` delta, µs.
 * On a machine shared with other work it moves less than wall time: before/after comparisons of
 * an optimisation use it beside the rates.
 */
export const cpuMicros = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

/** The `completed` results of claimed jobs, as a storage-level drain records them. */
export const completions = (claimed: readonly ClaimedJob[]): JobResult[] =>
  claimed.map((job) => ({ id: job.id, token: job.leaseToken, kind: "completed", output: null }));

/**
 * A migrated storage on a fresh file, with its SQL engine for seeding by statement (scenario D):
 * remove `tmp` when done.
 */
export async function seedableStorage(file: string) {
  const tmp = tempDir();
  const storage = await fileStorage(`${tmp.dir}/${file}`);
  await storage.migrate();
  const engine = storage.getInstance();
  if (!engine) throw new Error("storage not open");
  return { tmp, storage, engine };
}
