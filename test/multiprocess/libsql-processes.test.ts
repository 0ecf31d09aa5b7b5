import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { newJob } from "shiftwork/testing";
import { afterAll, describe, expect, it } from "vitest";
import { parseLog, startHost } from "./_spawn.js";

const dir = mkdtempSync(join(tmpdir(), "shiftwork-mp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function seed(file: string, count: number) {
  const storage = libsqlStorage({ url: `file:${file}` });
  await storage.migrate();
  const now = Date.now();
  for (let i = 0; i < count; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - i) }, (_, j) =>
      newJob({ name: "mp.work", input: { n: i + j }, runAt: now, maxAttempts: 5 }),
    );
    await storage.enqueue(batch, now);
  }
  return storage;
}

describe("several processes on one libSQL file", () => {
  it("4 processes drain 20,000 jobs: each completed once, claimed once, no BUSY", async () => {
    const file = join(dir, "drain.db");
    const storage = await seed(file, 20_000);
    const logs = [1, 2, 3, 4].map((i) => join(dir, `drain-${i}.log`));
    const hosts = logs.map((log) => startHost([file, log, "8", "30000"]));
    expect(await Promise.all(hosts.map((h) => h.exited))).toEqual([0, 0, 0, 0]);

    const parsed = logs.map((log) => parseLog(readFileSync(log, "utf8")));
    const claims = parsed.flatMap((p) => p.claims);
    const starts = parsed.flatMap((p) => p.starts);
    expect(parsed.flatMap((p) => p.errors)).toEqual([]);
    // Every job was handed out once and its handler started once, across all processes.
    expect(claims).toHaveLength(20_000);
    expect(new Set(claims.map((c) => c.id)).size).toBe(20_000);
    expect(starts).toHaveLength(20_000);
    expect(new Set(starts.map((s) => s.id)).size).toBe(20_000);
    // The work was shared.
    for (const p of parsed) expect(p.claims.length).toBeGreaterThan(0);

    const stats = await storage.stats(Date.now());
    expect(stats).toEqual([
      expect.objectContaining({
        queue: "default",
        completed: 20_000,
        waiting: 0,
        active: 0,
        failed: 0,
      }),
    ]);
    // The record: one completed attempt per job.
    let page = await storage.list({ limit: 1000 });
    let checked = 0;
    for (;;) {
      for (const job of page.jobs) {
        expect(job.attempts.map((a) => a.outcome)).toEqual(["completed"]);
        expect(job.output).toBe((job.input as { n: number }).n * 2);
        checked++;
      }
      if (page.nextCursor === null) break;
      page = await storage.list({ limit: 1000, cursor: page.nextCursor });
    }
    expect(checked).toBe(20_000);
    await storage.close?.();
  }, 180_000);

  it("a SIGKILLed process's jobs are rescued after the lease and completed elsewhere; its late result is refused", async () => {
    const file = join(dir, "crash.db");
    const storage = await seed(file, 20);
    const logA = join(dir, "crash-a.log");
    const a = startHost([file, logA, "4", "1000", "hang"]);
    // Wait until A holds jobs (its handlers hang), then kill it without warning.
    for (let i = 0; i < 400; i++) {
      if (existsSync(logA) && parseLog(readFileSync(logA, "utf8")).starts.length === 4) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    a.child.kill("SIGKILL");
    await a.exited;
    const killed = parseLog(readFileSync(logA, "utf8"));
    expect(killed.starts).toHaveLength(4);
    const lost = killed.claims;
    expect(lost).toHaveLength(4);

    const logB = join(dir, "crash-b.log");
    const b = startHost([file, logB, "4", "1000"]);
    expect(await b.exited).toBe(0);
    const survivor = parseLog(readFileSync(logB, "utf8"));
    expect(survivor.errors).toEqual([]);
    expect(new Set(survivor.starts.map((s) => s.id)).size).toBe(20);

    for (const claim of lost) {
      const job = await storage.get(claim.id);
      expect(job?.state).toBe("completed");
      expect(job?.attempts.map((x) => x.outcome)).toEqual(["stalled", "completed"]);
      // B claimed it only after A's lease had run out.
      const taken = survivor.claims.find((c) => c.id === claim.id);
      expect(taken?.at).toBeGreaterThanOrEqual(claim.until);
      // The killed attempt's result arrives late: fencing refuses it.
      const late = await storage.record(
        [{ id: claim.id, token: claim.token, kind: "completed", output: "late" }],
        Date.now(),
      );
      expect(late).toEqual([false]);
      expect((await storage.get(claim.id))?.output).not.toBe("late");
    }
    const stats = await storage.stats(Date.now());
    expect(stats[0]).toMatchObject({ completed: 20, waiting: 0, active: 0 });
    await storage.close?.();
  }, 60_000);
});
