/**
 * Managers for the abuse and fuzz tests, on the memory adapter and on a libSQL file, with a check
 * that storage is still consistent afterwards.
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { createManager, defineJob, type Manager, type Storage } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { memoryStorage } from "shiftwork/adapters/memory";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { expect } from "vitest";

/** A job with a strict input, and one that takes anything. */
export const jobs = {
  email: defineJob({
    name: "email.send",
    input: v.object({ to: v.pipe(v.string(), v.email()), subject: v.optional(v.string()) }),
    run: ({ to }) => ({ sent: to }),
  }),
  store: defineJob({ name: "store", input: v.unknown(), run: (input) => input as null }),
};

/** One storage under test: its Manager (no Workers, so states stay put) and a consistency check. */
export interface Subject {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: a Manager of the abuse job module
  manager: Manager<any>;
  storage: Storage;
  /** Integrity check (libSQL) and state counts from `stats` against the rows themselves. */
  checkConsistent(): Promise<void>;
  close(): Promise<void>;
}

const STATES = ["waiting", "active", "completed", "failed", "cancelled"] as const;

/** Opens the subjects: memory, and a libSQL file through the synchronous binding. */
export async function subjects(): Promise<Subject[]> {
  const dir = mkdtempSync(join(tmpdir(), "shiftwork-abuse-"));
  const file = join(dir, "abuse.db");
  const made: Subject[] = [];
  for (const [name, storage] of [
    ["memory", memoryStorage()],
    ["libsql", libsqlStorage({ url: `file:${file}` })],
  ] as const) {
    const manager = createManager({ storage, scheduler: inlineScheduler(), jobs, workers: {} });
    await manager.start();
    made.push({
      name,
      manager,
      storage,
      async checkConsistent() {
        const counted: Record<string, number> = {};
        for (const state of STATES) {
          let n = 0;
          for (let cursor: number | null | undefined; cursor !== null; ) {
            const page = await manager.list({ state, limit: 1000, ...(cursor ? { cursor } : {}) });
            n += page.jobs.length;
            for (const job of page.jobs) expect(job.state).toBe(state);
            cursor = page.nextCursor;
          }
          counted[state] = n;
        }
        const stats = await manager.stats();
        const summed = Object.fromEntries(
          STATES.map((s) => [s, stats.reduce((n, q) => n + q[s], 0)]),
        );
        expect(summed).toEqual(counted);
        if (name === "libsql") {
          const db = new Database(file, { readonly: true });
          expect(db.prepare("PRAGMA integrity_check").get()).toEqual(
            expect.objectContaining({ integrity_check: "ok" }),
          );
          const rows = db
            .prepare("SELECT state, count(*) AS n FROM shiftwork_jobs GROUP BY state")
            .all() as { state: string; n: number }[];
          db.close();
          const byState: Record<string, number> = Object.fromEntries(STATES.map((s) => [s, 0]));
          // Storage keeps not-yet-due jobs as `delayed` and reports them as waiting.
          for (const row of rows) {
            const state = row.state === "delayed" ? "waiting" : row.state;
            byState[state] = (byState[state] ?? 0) + row.n;
          }
          expect(byState).toEqual(counted);
        }
      },
      async close() {
        await manager.stop();
        await storage.close?.();
        if (name === "libsql") rmSync(dir, { recursive: true, force: true });
      },
    });
  }
  return made;
}
