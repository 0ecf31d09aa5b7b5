import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { createManager, defineJob, type JobEvent, StorageError } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { afterAll, describe, expect, it } from "vitest";
import { FAULTS, faultyDatabase } from "./_faulty-database.js";

const dir = mkdtempSync(join(tmpdir(), "shiftwork-storage-faults-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const work = defineJob({
  name: "work",
  input: v.object({ n: v.number() }),
  async run({ n }) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return n + 1;
  },
});

const JOBS = 400;

describe("chaos: storage faults (a libSQL connection whose writes fail, then recover)", () => {
  for (const code of Object.keys(FAULTS) as (keyof typeof FAULTS)[]) {
    it(`${code} mid-drain: error events, backoff between retries, nothing lost once storage is back`, async () => {
      const file = join(dir, `${code}.db`);
      const database = faultyDatabase(file);
      const storage = libsqlStorage({ database });
      const manager = createManager({
        storage,
        scheduler: inlineScheduler(),
        jobs: { work },
        workers: { work: 4 },
      });
      const errors: { during: string; error: unknown; at: number }[] = [];
      const completed = new Map<string, number>();
      let faultOnAt = 0;
      let wake = () => {};
      manager.addEventListener("error", (event) => {
        const e = event as unknown as { during: string; error: unknown };
        errors.push({ during: e.during, error: e.error, at: Date.now() });
        // Storage comes back after four refused result writes, or four refused claims: on a
        // loaded machine every result in flight may have been written before the fault began,
        // and then only claims meet it.
        const count = (during: string) => errors.filter((x) => x.during === during).length;
        if (count("record") >= 4 || count("claim") >= 4) database.fault = null;
        wake();
      });
      manager.addEventListener("completed", (event) => {
        const id = (event as JobEvent).jobId;
        completed.set(id, (completed.get(id) ?? 0) + 1);
        // The fault starts with a quarter of the jobs done and Workers busy.
        if (completed.size === JOBS / 4 && !faultOnAt) {
          database.fault = code;
          faultOnAt = Date.now();
        }
        wake();
      });
      await manager.start();
      const records = await manager.enqueueMany(
        Array.from({ length: JOBS }, (_, n) => ({ name: "work", input: { n } })),
      );
      // An enqueue while storage refuses writes fails to its caller, naming the cause.
      while (!database.fault && completed.size < JOBS) await new Promise<void>((r) => (wake = r));
      expect(database.fault).toBe(code);
      const refused = await manager.enqueue(work, { n: -1 }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(StorageError);
      expect(String((refused as Error).message)).toContain(FAULTS[code]);

      while (completed.size < JOBS) await new Promise<void>((r) => (wake = r));

      // The Manager reported the failures, as storage errors naming SQLite's message.
      expect(errors.length).toBeGreaterThanOrEqual(4);
      for (const e of errors) {
        expect(["record", "claim"]).toContain(e.during);
        expect(e.error).toBeInstanceOf(StorageError);
        expect(String((e.error as Error).message)).toContain(FAULTS[code]);
      }
      // It backed off: the gaps between refused result writes double from 100 ms (timers never
      // fire early, so these are lower bounds that cannot flake).
      const writes = errors.filter((e) => e.during === "record").map((e) => e.at);
      const gaps = writes.slice(1).map((at, i) => at - (writes[i] as number));
      for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(100 * 2 ** i - 2);
      const claims = errors.filter((e) => e.during === "claim").map((e) => e.at);
      const claimGaps = claims.slice(1).map((at, i) => at - (claims[i] as number));
      for (const [i, gap] of claimGaps.entries())
        expect(gap).toBeGreaterThanOrEqual(Math.min(5000, 100 * 2 ** i) - 2);

      // Nothing lost, nothing doubled: every job completed once, in one attempt, with its output.
      expect([...completed.values()].every((n) => n === 1)).toBe(true);
      for (const record of records) {
        const job = await manager.get(record.id);
        expect(job?.state).toBe("completed");
        expect(job?.attempts.map((a) => a.outcome)).toEqual(["completed"]);
        expect(job?.output).toBe((record.input as { n: number }).n + 1);
      }
      expect(await manager.stats()).toEqual([
        expect.objectContaining({ completed: JOBS, waiting: 0, active: 0, failed: 0 }),
      ]);
      await manager.stop();
      await storage.close?.();
      const check = new Database(file, { readonly: true });
      expect(check.prepare("PRAGMA integrity_check").get()).toEqual(
        expect.objectContaining({ integrity_check: "ok" }),
      );
      expect(check.prepare("SELECT count(*) AS n FROM shiftwork_jobs").get()).toEqual(
        expect.objectContaining({ n: JOBS }),
      );
      check.close();
      console.log(
        `[chaos] ${code}: ${database.refused} writes refused, ${errors.length} error events (${writes.length} record, ${claims.length} claim), gaps ${gaps.join("/")} ms`,
      );
    }, 60_000);
  }
});
