import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "libsql";
import type { JobRecord } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { newJob } from "shiftwork/testing";
import { afterAll, describe, expect, it } from "vitest";
import { startScript } from "../multiprocess/_spawn.js";
import { type Run, readJournals } from "./_journal.js";

// The figures of docs/reliability.md come from this test: run it alone with
//   npx vitest run test/chaos/kill-loop.test.ts
const JOBS = Number(process.env.CHAOS_JOBS ?? 50_000);
const PROCESSES = 3;
const KILLS = Number(process.env.CHAOS_KILLS ?? 30);
const WORKERS = 8;
const LEASE_MS = 3_000;
// 3 processes x 8 Workers x 20 ms per job: at most 1,200 jobs/s, and three processes on one file
// manage about 600 on an idle 2-core machine (far fewer while processes restart), so 50,000 jobs
// take 45 s or (much) more: longer than 30 kills 0.5-2 s apart, each waiting for its target to be
// up. The test checks that the last kill landed mid-drain. On a shared 2-core machine the whole
// run took about 7 minutes, hence the long timeout.
const WORK_MS = 20;

const host = fileURLToPath(new URL("./kill-host.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "shiftwork-chaos-"));
const spawnedChildren: { kill(signal: NodeJS.Signals): boolean; exitCode: number | null }[] = [];
afterAll(() => {
  // A failed run leaves hosts behind: end the ones this file started.
  for (const child of spawnedChildren) if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A process's journal; empty if it was killed before it opened it. */
const journalOf = (inc: { journal: string }) => {
  try {
    return readFileSync(inc.journal, "utf8");
  } catch {
    return "";
  }
};

interface Incarnation {
  slot: number;
  journal: string;
  child: ReturnType<typeof startScript>["child"];
  exited: Promise<number | null>;
  exitAt?: number;
}

describe("chaos: SIGKILL loop over 3 processes on one libSQL file", () => {
  it(`${JOBS} jobs drain while a random process is killed ${KILLS} times: each completed exactly once, no overlapping runs under a lease, re-runs = lost leases`, async () => {
    const file = join(dir, "chaos.db");
    const storage = libsqlStorage({ url: `file:${file}` });
    await storage.migrate();
    const seeded = Date.now();
    for (let i = 0; i < JOBS; i += 1000) {
      const batch = Array.from({ length: 1000 }, (_, j) =>
        newJob({ name: "chaos.work", input: { n: i + j }, runAt: seeded, maxAttempts: 20 }),
      );
      await storage.enqueue(batch, seeded);
    }

    const all: Incarnation[] = [];
    const start = (slot: number): Incarnation => {
      const journal = join(dir, `journal-${slot}-${all.length}.log`);
      const spawned = startScript(host, [
        file,
        journal,
        String(WORKERS),
        String(LEASE_MS),
        String(WORK_MS),
      ]);
      const inc: Incarnation = { slot, journal, ...spawned };
      spawnedChildren.push(inc.child);
      inc.exited.then(() => {
        inc.exitAt = Date.now();
      });
      all.push(inc);
      return inc;
    };
    const current = Array.from({ length: PROCESSES }, (_, slot) => start(slot));
    const began = Date.now();
    // A process is up once its Manager started (it then writes a marker file): only then does a
    // kill cost it jobs.
    const up = (inc: Incarnation) => existsSync(`${inc.journal}.up`);
    while (!current.every(up)) await sleep(50);

    const kills: { slot: number; pid: number; at: number; alive: boolean }[] = [];
    let completedAtLastKill = -1;
    for (let k = 0; k < KILLS; k++) {
      await sleep(500 + Math.random() * 1500);
      const slot = Math.floor(Math.random() * PROCESSES);
      const victim = current[slot] as Incarnation;
      while (!up(victim) && victim.child.exitCode === null) await sleep(50);
      const alive = victim.child.exitCode === null && victim.child.signalCode === null;
      kills.push({ slot, pid: victim.child.pid as number, at: Date.now(), alive });
      victim.child.kill("SIGKILL");
      await victim.exited;
      if (k === KILLS - 1) {
        const stats = await storage.stats(Date.now());
        completedAtLastKill = stats.reduce((n, s) => n + s.completed, 0);
      }
      current[slot] = start(slot);
      if (k % 5 === 4)
        console.log(`[chaos] ${k + 1} kills, ${Math.round((Date.now() - began) / 1000)} s`);
    }
    console.log(`[chaos] kills done; ${completedAtLastKill} of ${JOBS} jobs completed then`);
    const codes = await Promise.all(current.map((inc) => inc.exited));
    const drainMs = Date.now() - began;
    expect(codes).toEqual([0, 0, 0]);
    // Every kill hit a live process, and the last one landed while jobs were still open.
    expect(kills.filter((k) => !k.alive)).toEqual([]);
    expect(completedAtLastKill).toBeGreaterThanOrEqual(0);
    expect(completedAtLastKill).toBeLessThan(JOBS);

    // The record in storage: every job completed, exactly once, with its own output; every
    // earlier attempt ended because its lease was lost (stalled).
    const db = new Database(file, { readonly: true });
    expect(db.prepare("PRAGMA integrity_check").get()).toEqual(
      expect.objectContaining({ integrity_check: "ok" }),
    );
    db.close();
    const jobs: JobRecord[] = [];
    for (let cursor: number | null | undefined; cursor !== null; ) {
      const page = await storage.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
      jobs.push(...page.jobs);
      cursor = page.nextCursor;
    }
    expect(jobs).toHaveLength(JOBS);
    let doubleRecorded = 0;
    let wrong = 0;
    let lostLeases = 0;
    const stalled = new Set<string>();
    for (const job of jobs) {
      const outcomes = job.attempts.map((a) => a.outcome);
      if (outcomes.filter((o) => o === "completed").length !== 1) doubleRecorded++;
      if (job.state !== "completed" || outcomes.at(-1) !== "completed") wrong++;
      if (job.output !== (job.input as { n: number }).n * 3) wrong++;
      for (const a of job.attempts.slice(0, -1)) {
        if (a.outcome !== "stalled") wrong++;
        lostLeases++;
        stalled.add(`${job.id}#${a.attempt}`);
      }
    }
    expect({ doubleRecorded, wrong }).toEqual({ doubleRecorded: 0, wrong: 0 });

    // The journals: handler runs per job.
    const { runs, stale, errors } = readJournals(all.map(journalOf));
    const exitAt = new Map(all.map((inc) => [inc.child.pid as number, inc.exitAt as number]));
    const started = [...runs.values()].filter((r) => r.start !== undefined);
    const reRuns = started.length - JOBS;
    const lostAfterStart = [...stalled].filter((key) => runs.get(key)?.start !== undefined).length;
    const byJob = new Map<string, Run[]>();
    for (const r of started) byJob.set(r.id, [...(byJob.get(r.id) ?? []), r]);
    expect(byJob.size).toBe(JOBS);
    // A run ends at its journaled end, or when its process was seen dead. No later run of the
    // same job may start before the earlier one ended while its lease (as last extended) held.
    const overlaps: string[] = [];
    let overlapsAfterLostLease = 0;
    for (const list of byJob.values()) {
      list.sort((a, b) => (a.start as number) - (b.start as number));
      for (let i = 1; i < list.length; i++) {
        const [prev, next] = [list[i - 1] as Run, list[i] as Run];
        const prevEnd = prev.end ?? (exitAt.get(prev.pid) as number);
        if ((next.start as number) < Math.min(prevEnd, prev.leaseUntil)) {
          overlaps.push(`${prev.id}: ${JSON.stringify(prev)} ${JSON.stringify(next)}`);
        } else if ((next.start as number) < prevEnd) overlapsAfterLostLease++;
      }
    }
    // Every run beyond the first of a job is a run whose predecessor lost its lease.
    const figures = {
      jobs: JOBS,
      processes: PROCESSES,
      kills: kills.length,
      incarnations: all.length,
      drainSeconds: Math.round(drainMs / 100) / 10,
      completedAtLastKill,
      handlerRuns: started.length,
      reRuns,
      lostLeases,
      lostLeasesAfterHandlerStart: lostAfterStart,
      lostLeasesBeforeHandlerStart: lostLeases - lostAfterStart,
      staleEvents: stale.length,
      overlapsAfterLostLease,
      overlapsUnderLease: overlaps.length,
      errorEvents: errors.length,
      lost: JOBS - jobs.filter((j) => j.state === "completed").length,
      doubleRecorded,
    };
    console.log(`[chaos] kill loop figures: ${JSON.stringify(figures, null, 2)}`);
    if (errors.length > 0) console.log(`[chaos] error events:\n${errors.slice(0, 20).join("\n")}`);
    expect(overlaps.slice(0, 5)).toEqual([]);
    expect(reRuns).toBe(lostAfterStart);
    await storage.close?.();
  }, 900_000);
});
