import { expect, it } from "vitest";
import {
  attempt,
  claim,
  lease,
  newJob,
  run,
  type StorageCaseContext,
  seed,
  T0,
} from "../_context.js";

/** Retry, snooze, release, cancel and manual retry: how results move a job on. */
export function resultCases(ctx: StorageCaseContext): void {
  it("completions written together are fenced one by one", async () => {
    const storage = ctx.storage();
    await seed(storage, [newJob(), newJob(), newJob()]);
    const [a, b, c] = await claim(storage);
    const written = await run(
      storage.record(
        [
          { ...lease(a), kind: "completed", output: "A" },
          { ...lease(b), token: "stale", kind: "completed", output: "B" },
          { ...lease(c), kind: "completed", output: { c: [1, null] } },
        ],
        T0 + 5,
      ),
    );
    expect(written).toEqual([true, false, true]);
    expect(await run(storage.get(a?.id as string))).toMatchObject({
      state: "completed",
      output: "A",
      finishedAt: T0 + 5,
      leaseToken: null,
      attempts: [{ attempt: 1, startedAt: T0, endedAt: T0 + 5, outcome: "completed", error: null }],
    });
    expect(await run(storage.get(b?.id as string))).toMatchObject({
      state: "active",
      output: null,
    });
    expect((await run(storage.get(c?.id as string)))?.output).toEqual({ c: [1, null] });
  });

  it("recordAndClaim with a refused token among its completions: the others written, each job claimed once", async () => {
    const storage = ctx.storage();
    if (!storage.recordAndClaim) return;
    await seed(storage, [newJob(), newJob(), newJob(), newJob(), newJob()]);
    const [a, b, c] = await claim(storage, { limit: 3 });
    const { written, claimed } = await run(
      storage.recordAndClaim(
        [
          { ...lease(a), kind: "completed", output: "A" },
          { ...lease(b), token: "stale", kind: "completed", output: "B" },
          { ...lease(c), kind: "completed", output: "C" },
        ],
        [{ queues: ["default"], limit: 5, leaseMs: 1000, now: T0 + 5 }],
        T0 + 5,
      ),
    );
    expect(written).toEqual([true, false, true]);
    const next = claimed[0] ?? [];
    expect(next).toHaveLength(2);
    for (const job of next) {
      expect(await run(storage.get(job.id))).toMatchObject({
        state: "active",
        attempt: 1,
        leaseToken: job.leaseToken,
      });
    }
    expect(await run(storage.stats(T0 + 5))).toMatchObject([
      { queue: "default", waiting: 0, active: 3, completed: 2 },
    ]);
    expect(await run(storage.get(b?.id as string))).toMatchObject({
      state: "active",
      output: null,
    });
  });

  it("recordAndClaim records first, then claims each request, in one call", async () => {
    const storage = ctx.storage();
    // Optional in the port: an adapter without it is served by record then claim.
    if (!storage.recordAndClaim) return;
    const [a, b, c, d] = await seed(storage, [
      newJob(),
      newJob(),
      newJob({ queue: "other" }),
      newJob(),
    ]);
    const [ja, jb] = await claim(storage, { limit: 2 });
    const { written, claimed } = await run(
      storage.recordAndClaim(
        [
          { ...lease(ja), kind: "completed", output: 1 },
          { ...lease(jb), kind: "retry", error: { message: "again" }, runAt: T0 + 5 },
          { id: d as string, token: "stale", kind: "completed", output: 2 },
        ],
        [
          { queues: ["default"], limit: 5, leaseMs: 1000, now: T0 + 5 },
          { queues: ["other"], limit: 5, leaseMs: 1000, now: T0 + 5 },
        ],
        T0 + 5,
      ),
    );
    expect(written).toEqual([true, true, false]);
    // The retried job is due again and is claimed by the same call, after its result (and after
    // d, due earlier).
    expect(claimed.map((jobs) => jobs.map((j) => j.id))).toEqual([[d, b], [c]]);
    expect(claimed[0]?.[1]).toMatchObject({ state: "active", attempt: 2 });
    expect(await run(storage.get(a as string))).toMatchObject({ state: "completed", output: 1 });
    // Bad arguments in any part: nothing written, nothing claimed.
    const [e] = await seed(storage, [newJob({ queue: "late" })]);
    const [je] = await claim(storage, { queues: ["late"] });
    await expect(
      (async () =>
        storage.recordAndClaim?.(
          [{ ...lease(je), kind: "completed", output: 3 }],
          [{ limit: 0, leaseMs: 1000, now: T0 + 6 }],
          T0 + 6,
        ))(),
    ).rejects.toThrow(/limit/);
    expect(await run(storage.get(e as string))).toMatchObject({ state: "active" });
  });

  it("retry schedules the next attempt at its time", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob({ maxAttempts: 3 })]);
    const [job] = await claim(storage);
    const error = { name: "Error", message: "boom", stack: "Error: boom\n    at handler" };
    const written = await run(
      storage.record([{ ...lease(job), kind: "retry", error, runAt: T0 + 4000 }], T0 + 100),
    );
    expect(written).toEqual([true]);
    expect(await run(storage.get(id as string))).toMatchObject({
      state: "waiting",
      runAt: T0 + 4000,
      attempt: 1,
      leaseToken: null,
      error,
    });
    expect(await claim(storage, { now: T0 + 3999 })).toHaveLength(0);
    const [again] = await claim(storage, { now: T0 + 4000 });
    expect(again).toMatchObject({ id, attempt: 2 });
    expect(again?.attempts.map((a) => a.outcome)).toEqual(["retry", null]);
  });

  it("a failed job keeps its attempt history", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob({ maxAttempts: 2 })]);
    const [one] = await claim(storage);
    const e1 = { message: "first", stack: "Error: first\n    at a" };
    await run(
      storage.record([{ ...lease(one), kind: "retry", error: e1, runAt: T0 + 10 }], T0 + 5),
    );
    const [two] = await claim(storage, { now: T0 + 10 });
    const e2 = { message: "second", stack: "Error: second\n    at b" };
    await run(storage.record([{ ...lease(two), kind: "failed", error: e2 }], T0 + 20));
    const job = await run(storage.get(id as string));
    expect(job).toMatchObject({
      state: "failed",
      finishedAt: T0 + 20,
      error: e2,
      leaseToken: null,
    });
    expect(job?.attempts).toEqual([
      { attempt: 1, startedAt: T0, endedAt: T0 + 5, outcome: "retry", error: e1 },
      { attempt: 2, startedAt: T0 + 10, endedAt: T0 + 20, outcome: "failed", error: e2 },
    ]);
  });

  it("snooze does not use an attempt", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob({ maxAttempts: 1 })]);
    const [job] = await claim(storage);
    await run(storage.record([{ ...lease(job), kind: "snoozed", runAt: T0 + 500 }], T0 + 1));
    expect(await run(storage.get(id as string))).toMatchObject({
      state: "waiting",
      runAt: T0 + 500,
      attempt: 0,
    });
    const [again] = await claim(storage, { now: T0 + 500 });
    expect(again?.attempt).toBe(1);
  });

  it("release returns a job at once without using an attempt", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob()]);
    const [job] = await claim(storage);
    await run(storage.record([{ ...lease(job), kind: "released" }], T0 + 50));
    expect(await run(storage.get(id as string))).toMatchObject({
      state: "waiting",
      attempt: 0,
      runAt: T0 + 50,
      leaseToken: null,
    });
    expect(await claim(storage, { now: T0 + 50 })).toHaveLength(1);
  });

  it("cancel of a waiting job", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob({ key: "c" })]);
    const job = await run(storage.cancel(id as string, "no longer needed", T0 + 1));
    expect(job).toMatchObject({
      state: "cancelled",
      cancelReason: "no longer needed",
      finishedAt: T0 + 1,
    });
    expect(await claim(storage, { now: T0 + 2 })).toHaveLength(0);
    const [fresh] = await run(storage.enqueue([newJob({ key: "c" })], T0 + 2));
    expect(fresh?.created).toBe(true);
  });

  it("cancel of an active job reaches its holder at the next extension", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob()]);
    const [job] = await claim(storage);
    const asked = await run(storage.cancel(id as string, "stop it", T0 + 1));
    expect(asked).toMatchObject({ state: "active", cancelRequested: true });
    expect(await run(storage.extendLeases([lease(job)], 30_000, T0 + 2))).toEqual([
      "cancel-requested",
    ]);
    await run(storage.record([{ ...lease(job), kind: "cancelled", reason: "cancelled" }], T0 + 3));
    expect(await run(storage.get(id as string))).toMatchObject({
      state: "cancelled",
      cancelReason: "stop it",
    });
  });

  it("an active job whose cancel was asked for is cancelled, not retried, when its lease expires", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob()]);
    await claim(storage, { leaseMs: 1000 });
    await run(storage.cancel(id as string, "gone", T0 + 1));
    await run(storage.rescueExpired(T0 + 1000));
    expect((await run(storage.get(id as string)))?.state).toBe("cancelled");
  });

  it("cancel and retry refuse jobs in the wrong state", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob()]);
    const [job] = await claim(storage);
    await expect(attempt(() => storage.retry(id as string, T0))).rejects.toThrow(/active/);
    await run(storage.record([{ ...lease(job), kind: "completed", output: null }], T0 + 1));
    await expect(attempt(() => storage.cancel(id as string, "late", T0 + 2))).rejects.toThrow(
      /completed/,
    );
    await expect(attempt(() => storage.retry(id as string, T0 + 2))).rejects.toThrow(/completed/);
    await expect(attempt(() => storage.cancel("no-such-job", "x", T0))).rejects.toThrow(
      /not found/,
    );
    expect((await run(storage.get(id as string)))?.state).toBe("completed");
  });

  it("retry of a failed job runs it again with fresh attempts", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob({ maxAttempts: 1 })]);
    const [job] = await claim(storage);
    await run(storage.record([{ ...lease(job), kind: "failed", error: { message: "x" } }], T0 + 1));
    const retried = await run(storage.retry(id as string, T0 + 10));
    expect(retried).toMatchObject({
      state: "waiting",
      attempt: 0,
      runAt: T0 + 10,
      finishedAt: null,
    });
    const [again] = await claim(storage, { now: T0 + 10 });
    expect(again).toMatchObject({ id, attempt: 1 });
    expect(again?.attempts).toHaveLength(2);
  });
}
