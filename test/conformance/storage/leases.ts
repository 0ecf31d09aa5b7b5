import type { ClaimedJob, Storage } from "shiftwork";
import { describe, expect, it } from "vitest";
import { claim, newJob, run, type StorageCaseContext, seed, T0 } from "../_context.js";

async function drainConcurrently(handles: Storage[], claimers: number, limit: number) {
  const seen: ClaimedJob[] = [];
  await Promise.all(
    Array.from({ length: claimers }, async (_, i) => {
      const storage = handles[i % handles.length] as Storage;
      for (;;) {
        const batch = await claim(storage, { limit });
        if (batch.length === 0) return;
        seen.push(...batch);
      }
    }),
  );
  return seen;
}

/** Exclusive claims, lease extension and expiry, rescue, and fencing by lease token. */
export function leaseCases(ctx: StorageCaseContext): void {
  it("exclusive claims under concurrent claimers", async () => {
    const storage = ctx.storage();
    const ids = await seed(
      storage,
      Array.from({ length: 120 }, () => newJob()),
    );
    const seen = await drainConcurrently([storage], 8, 7);
    expect(seen.map((j) => j.id).sort()).toEqual([...ids].sort());
    expect(await claim(storage)).toHaveLength(0);
  });

  describe.skipIf(!ctx.capabilities.secondHandle)("with a second handle", () => {
    it("exclusive claims across two handles", async () => {
      const storage = ctx.storage();
      const ids = await seed(
        storage,
        Array.from({ length: 120 }, () => newJob()),
      );
      const seen = await drainConcurrently([storage, ctx.second()], 8, 5);
      expect(seen.map((j) => j.id).sort()).toEqual([...ids].sort());
    });
  });

  it("a claim writes a fresh lease and starts an attempt", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob()]);
    const [job] = await claim(storage, { leaseMs: 5000 });
    expect(job).toMatchObject({ id, state: "active", attempt: 1, leaseExpiresAt: T0 + 5000 });
    expect(job?.leaseToken).toMatch(/.{8,}/);
    expect(job?.attempts).toEqual([
      { attempt: 1, startedAt: T0, endedAt: null, outcome: null, error: null },
    ]);
    expect(await run(storage.get(id as string))).toMatchObject({ state: "active" });
  });

  it("an active job is not claimed again while its lease holds", async () => {
    const storage = ctx.storage();
    await seed(storage, [newJob()]);
    expect(await claim(storage, { leaseMs: 5000 })).toHaveLength(1);
    expect(await claim(storage, { now: T0 + 4999 })).toHaveLength(0);
    expect(await run(storage.rescueExpired(T0 + 4999))).toHaveLength(0);
  });

  it("lease extension keeps a job from rescue", async () => {
    const storage = ctx.storage();
    await seed(storage, [newJob()]);
    const [job] = await claim(storage, { leaseMs: 5000 });
    const lease = { id: job?.id as string, token: job?.leaseToken as string };
    expect(await run(storage.extendLeases([lease], 5000, T0 + 4000))).toEqual(["extended"]);
    expect(await run(storage.rescueExpired(T0 + 6000))).toHaveLength(0);
    expect((await run(storage.get(lease.id)))?.leaseExpiresAt).toBe(T0 + 9000);
  });

  it("expired leases are rescued", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob()]);
    await claim(storage, { leaseMs: 5000 });
    const rescued = await run(storage.rescueExpired(T0 + 5000));
    expect(rescued.map((j) => j.id)).toEqual([id]);
    const job = await run(storage.get(id as string));
    expect(job).toMatchObject({ state: "waiting", leaseToken: null, attempt: 1 });
    expect(job?.attempts[0]).toMatchObject({ outcome: "stalled", endedAt: T0 + 5000 });
    const [again] = await claim(storage, { now: T0 + 5000 });
    expect(again).toMatchObject({ id, attempt: 2 });
  });

  it("rescue fails a job with no attempts left", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob({ maxAttempts: 1 })]);
    await claim(storage, { leaseMs: 1000 });
    await run(storage.rescueExpired(T0 + 1000));
    const job = await run(storage.get(id as string));
    expect(job?.state).toBe("failed");
    expect(job?.error?.message).toMatch(/lease/);
    expect(job?.finishedAt).toBe(T0 + 1000);
  });

  it("fencing: a stale token cannot complete, fail, retry or extend", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob()]);
    const [first] = await claim(storage, { leaseMs: 1000 });
    await run(storage.rescueExpired(T0 + 1000));
    const [second] = await claim(storage, { now: T0 + 1000, leaseMs: 60_000 });
    expect(second?.leaseToken).not.toBe(first?.leaseToken);
    const stale = { id: id as string, token: first?.leaseToken as string };
    const now = T0 + 2000;
    expect(
      await run(storage.record([{ ...stale, kind: "completed", output: "late" }], now)),
    ).toEqual([false]);
    expect(
      await run(storage.record([{ ...stale, kind: "failed", error: { message: "x" } }], now)),
    ).toEqual([false]);
    expect(
      await run(
        storage.record([{ ...stale, kind: "retry", error: { message: "x" }, runAt: now }], now),
      ),
    ).toEqual([false]);
    expect(await run(storage.record([{ ...stale, kind: "progress", progress: 50 }], now))).toEqual([
      false,
    ]);
    expect(await run(storage.extendLeases([stale], 1000, now))).toEqual(["lost"]);
    const job = await run(storage.get(id as string));
    expect(job).toMatchObject({
      state: "active",
      leaseToken: second?.leaseToken,
      leaseExpiresAt: T0 + 61_000,
      output: null,
      progress: null,
    });
    const current = { id: id as string, token: second?.leaseToken as string };
    expect(
      await run(storage.record([{ ...current, kind: "completed", output: "ok" }], now)),
    ).toEqual([true]);
    expect(await run(storage.get(id as string))).toMatchObject({
      state: "completed",
      output: "ok",
    });
  });

  it("results are written in one batch, each fenced on its own", async () => {
    const storage = ctx.storage();
    await seed(storage, [newJob(), newJob(), newJob()]);
    const [a, b, c] = await claim(storage, { limit: 3 });
    const lease = (j: ClaimedJob | undefined) => ({
      id: j?.id as string,
      token: j?.leaseToken as string,
    });
    const written = await run(
      storage.record(
        [
          { ...lease(a), kind: "completed", output: { ok: true } },
          { ...lease(b), token: "not-the-token", kind: "completed", output: null },
          { ...lease(c), kind: "progress", progress: { step: 2 } },
        ],
        T0 + 10,
      ),
    );
    expect(written).toEqual([true, false, true]);
    expect((await run(storage.get(a?.id as string)))?.state).toBe("completed");
    expect((await run(storage.get(b?.id as string)))?.state).toBe("active");
    expect(await run(storage.get(c?.id as string))).toMatchObject({
      state: "active",
      progress: { step: 2 },
    });
  });

  it("a result for a job that is not active is refused", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob()]);
    const [job] = await claim(storage);
    const lease = { id: id as string, token: job?.leaseToken as string };
    expect(await run(storage.record([{ ...lease, kind: "completed", output: 1 }], T0))).toEqual([
      true,
    ]);
    expect(await run(storage.record([{ ...lease, kind: "completed", output: 2 }], T0))).toEqual([
      false,
    ]);
    expect((await run(storage.get(id as string)))?.output).toBe(1);
  });
}
