// Scenario B, taken apart: the drain's storage work alone, and the Manager's alone, at the same
// batch size. Not part of `npm run bench`; docs/benchmarks.md uses it to say what limits B.
import { type ClaimedJob, type ClaimRequest, createManager, type Storage } from "shiftwork";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import { completions, cpuMicros, fileStorage, since, tempDir, timeDrain } from "../_host.js";
import * as jobs from "../jobs.js";

/** Options of {@link measureDrainPart}. */
export interface DrainPartOptions {
  n: number;
  /** The claim batch (B's Workers). */
  concurrency: number;
}

/**
 * `storage`: N seeded jobs drained by the storage's own calls (a claim, then results and the next
 * claim in one transaction, as the Manager makes them). `manager`: N no-op jobs through a Manager
 * and the inline scheduler over a storage that hands out ready-made jobs and writes nothing.
 */
export async function measureDrainPart(
  variant: "storage" | "manager",
  options: DrainPartOptions,
): Promise<{ jobsPerSec: number; cpuUsPerJob: number }> {
  return variant === "storage" ? storageAlone(options) : managerAlone(options);
}

async function storageAlone({ n, concurrency }: DrainPartOptions) {
  const tmp = tempDir();
  const storage = await fileStorage(`${tmp.dir}/b.db`);
  await storage.migrate();
  const now = Date.now();
  for (let i = 0; i < n; i += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, n - i) }, (_, j) => ({
      name: "noop",
      queue: "default",
      input: { n: i + j },
      priority: 0,
      runAt: now,
      maxAttempts: 3,
      key: null,
    }));
    await storage.enqueue(batch, now);
  }
  const request = (): ClaimRequest => ({
    names: ["noop"],
    limit: concurrency,
    leaseMs: 30_000,
    now: Date.now(),
  });
  const record = storage.recordAndClaim?.bind(storage);
  if (!record) throw new Error("storage cannot record and claim at once");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let claimed = await storage.claim(request());
  while (claimed.length > 0) {
    const answer = await record(completions(claimed), [request()], Date.now());
    claimed = answer.claimed[0] ?? [];
  }
  const result = { jobsPerSec: n / since(t0), cpuUsPerJob: cpuMicros(process.cpuUsage(cpu0)) / n };
  await storage.close?.();
  tmp.remove();
  return result;
}

async function managerAlone({ n, concurrency }: DrainPartOptions) {
  let handedOut = 0;
  let paused = true;
  const claim = ({ limit, now, leaseMs }: ClaimRequest): ClaimedJob[] => {
    if (paused) return [];
    const token = crypto.randomUUID();
    const out: ClaimedJob[] = [];
    for (let i = 0; i < limit && handedOut < n; i++)
      out.push(readyMade(++handedOut, token, now, leaseMs));
    return out;
  };
  const storage = {
    name: "ready-made",
    migrate() {},
    enqueue: () => [],
    claim,
    extendLeases: (leases: readonly unknown[]) => leases.map(() => "ok" as const),
    record: (results: readonly unknown[]) => results.map(() => true),
    recordAndClaim: (results: readonly unknown[], requests: readonly ClaimRequest[]) => ({
      written: results.map(() => true),
      claimed: requests.map(claim),
    }),
    rescueExpired: () => [],
    cancel: () => {
      throw new Error("not here");
    },
    retry: () => {
      throw new Error("not here");
    },
    setPaused(_queue: string, value: boolean) {
      paused = value;
    },
    get: () => null,
    list: () => ({ jobs: [], nextCursor: null }),
    stats: () => [],
    prune: () => 0,
    nextWakeAt: () => null,
    subscribe: () => () => {},
  } as unknown as Storage;
  const manager = createManager({
    storage,
    scheduler: inlineScheduler(),
    jobs,
    workers: { noop: concurrency },
  });
  await manager.start();
  await manager.pause();
  const result = await timeDrain(manager, n);
  await manager.stop();
  return result;
}

/** A claimed job as a claim of `token` at `now` returns it. */
function readyMade(seq: number, token: string, now: number, leaseMs: number): ClaimedJob {
  return {
    id: String(seq),
    seq,
    name: "noop",
    queue: "default",
    input: { n: seq },
    state: "active",
    priority: 0,
    runAt: now,
    attempt: 1,
    maxAttempts: 3,
    key: null,
    progress: null,
    output: null,
    error: null,
    cancelReason: null,
    cancelRequested: false,
    leaseToken: `${token}.${seq}`,
    leaseExpiresAt: now + leaseMs,
    attempts: [{ attempt: 1, startedAt: now, endedAt: null, outcome: null, error: null }],
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  } as ClaimedJob;
}
