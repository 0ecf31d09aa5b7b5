import { expect, it } from "vitest";
import { claim, lease, newJob, run, type StorageCaseContext, seed, T0 } from "../_context.js";

/** Pause, prune, stats and list. */
export function adminCases(ctx: StorageCaseContext): void {
  it("pause and resume a queue", async () => {
    const storage = ctx.storage();
    const [a, b] = await seed(storage, [newJob({ queue: "slow" }), newJob({ queue: "fast" })]);
    await run(storage.setPaused("slow", true));
    expect((await claim(storage)).map((j) => j.id)).toEqual([b]);
    expect(await claim(storage)).toHaveLength(0);
    const stats = await run(storage.stats(T0));
    expect(stats.find((s) => s.queue === "slow")).toMatchObject({ paused: true, waiting: 1 });
    await run(storage.setPaused("slow", false));
    expect((await claim(storage)).map((j) => j.id)).toEqual([a]);
  });

  it("stats come in queue name order, code unit by code unit (as SQLite orders text)", async () => {
    const storage = ctx.storage();
    await seed(
      storage,
      ["alpha", "Beta", "zeta", "_x"].map((queue) => newJob({ queue })),
    );
    await run(storage.setPaused("Alpha", true));
    const order = (await run(storage.stats(T0))).map((s) => s.queue);
    expect(order).toEqual(["Alpha", "Beta", "_x", "alpha", "zeta"]);
  });

  it("a paused queue with no jobs is listed in stats", async () => {
    const storage = ctx.storage();
    await run(storage.setPaused("empty", true));
    expect(await run(storage.stats(T0))).toEqual([
      {
        queue: "empty",
        paused: true,
        waiting: 0,
        delayed: 0,
        active: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
      },
    ]);
  });

  it("stats counts by queue and state", async () => {
    const storage = ctx.storage();
    await seed(storage, [
      newJob({ queue: "a" }),
      newJob({ queue: "a" }),
      newJob({ queue: "a", runAt: T0 + 1000 }),
      newJob({ queue: "b" }),
      newJob({ queue: "b" }),
    ]);
    const [j1, j2] = await claim(storage, { queues: ["a"], limit: 2 });
    await run(storage.record([{ ...lease(j1), kind: "completed", output: null }], T0));
    const [j3] = await claim(storage, { queues: ["b"], limit: 1 });
    await run(storage.record([{ ...lease(j3), kind: "failed", error: { message: "x" } }], T0));
    const [j4] = await claim(storage, { queues: ["b"], limit: 1 });
    await run(storage.cancel(j4?.id as string, "x", T0));
    await run(storage.record([{ ...lease(j4), kind: "cancelled", reason: "x" }], T0));
    expect(j2).toBeDefined();
    expect(await run(storage.stats(T0))).toEqual([
      {
        queue: "a",
        paused: false,
        waiting: 1,
        delayed: 1,
        active: 1,
        completed: 1,
        failed: 0,
        cancelled: 0,
      },
      {
        queue: "b",
        paused: false,
        waiting: 0,
        delayed: 0,
        active: 0,
        completed: 0,
        failed: 1,
        cancelled: 1,
      },
    ]);
  });

  it("prune deletes old finished jobs only", async () => {
    const storage = ctx.storage();
    const ids = await seed(storage, [newJob(), newJob(), newJob(), newJob()]);
    const claimed = await claim(storage, { limit: 3 });
    await run(
      storage.record(
        [
          { ...lease(claimed[0]), kind: "completed", output: null },
          { ...lease(claimed[1]), kind: "failed", error: { message: "x" } },
        ],
        T0 + 100,
      ),
    );
    await run(
      storage.record([{ ...lease(claimed[2]), kind: "completed", output: null }], T0 + 900),
    );
    expect(await run(storage.prune({ before: T0 + 500, states: ["completed"] }))).toBe(1);
    expect(await run(storage.get(ids[0] as string))).toBeNull();
    expect(await run(storage.get(ids[1] as string))).not.toBeNull();
    expect(
      await run(storage.prune({ before: T0 + 1000, states: ["completed", "failed", "cancelled"] })),
    ).toBe(2);
    const left = (await run(storage.list({ limit: 10 }))).jobs.map((j) => j.state).sort();
    expect(left).toEqual(["waiting"]);
  });

  it("an id is never handed out again, even after prune deleted every finished job", async () => {
    const storage = ctx.storage();
    const ids = await seed(storage, [newJob(), newJob()]);
    const claimed = await claim(storage, { limit: 2 });
    await run(
      storage.record(
        claimed.map((job) => ({ ...lease(job), kind: "completed" as const, output: null })),
        T0 + 100,
      ),
    );
    await run(storage.prune({ before: T0 + 1000, states: ["completed"] }));
    const [next] = await seed(storage, [newJob()]);
    expect(ids).not.toContain(next);
    expect(await run(storage.get(next as string))).toMatchObject({ state: "waiting" });
  });

  it("list filters and pages newest first", async () => {
    const storage = ctx.storage();
    const ids = await seed(storage, [
      ...Array.from({ length: 5 }, () => newJob({ queue: "p", name: "one" })),
      newJob({ queue: "p", name: "two" }),
      newJob({ queue: "other", name: "one" }),
    ]);
    const first = await run(storage.list({ queue: "p", name: "one", limit: 2 }));
    expect(first.jobs.map((j) => j.id)).toEqual([ids[4], ids[3]]);
    expect(first.nextCursor).not.toBeNull();
    const second = await run(
      storage.list({ queue: "p", name: "one", limit: 2, cursor: first.nextCursor as number }),
    );
    expect(second.jobs.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const third = await run(
      storage.list({ queue: "p", name: "one", limit: 2, cursor: second.nextCursor as number }),
    );
    expect(third.jobs.map((j) => j.id)).toEqual([ids[0]]);
    expect(third.nextCursor).toBeNull();
    await claim(storage, { limit: 1, queues: ["other"] });
    expect((await run(storage.list({ state: "active", limit: 10 }))).jobs.map((j) => j.id)).toEqual(
      [ids[6]],
    );
  });
}
