import { expect, it } from "vitest";
import { claim, lease, newJob, run, type StorageCaseContext, seed, T0 } from "../_context.js";

/** Which ready job a claim takes first, and which it may take at all. */
export function orderCases(ctx: StorageCaseContext): void {
  it("a claimed job carries its stored times exactly, fractions of a millisecond included", async () => {
    const storage = ctx.storage();
    const runAt = T0 - 0.123456789;
    const now = T0 + 0.987654321;
    const [id] = await seed(storage, [newJob({ runAt })], T0 - 1.5);
    const [job] = await claim(storage, { now, leaseMs: 1000 });
    expect(job).toMatchObject({ id, runAt, createdAt: T0 - 1.5, leaseExpiresAt: now + 1000 });
    expect(job?.updatedAt).toBe(now);
    expect(await run(storage.get(id as string))).toMatchObject({ runAt, updatedAt: now });
  });

  it("claims by priority, then run time, then insertion order", async () => {
    const storage = ctx.storage();
    const ids = await seed(storage, [
      newJob({ priority: 5, runAt: T0 - 3000 }), // 0: low priority, oldest
      newJob({ priority: 0, runAt: T0 - 1000 }), // 1
      newJob({ priority: 0, runAt: T0 - 2000 }), // 2: same priority, earlier run time
      newJob({ priority: -1, runAt: T0 }), // 3: highest priority
      newJob({ priority: 0, runAt: T0 - 1000 }), // 4: ties with 1, inserted later
    ]);
    const claimed = [];
    for (let i = 0; i < 5; i++) claimed.push(...(await claim(storage, { limit: 1 })));
    expect(claimed.map((j) => j.id)).toEqual([ids[3], ids[2], ids[1], ids[4], ids[0]]);
  });

  it("one claim returns its batch in order", async () => {
    const storage = ctx.storage();
    const ids = await seed(storage, [newJob({ priority: 2 }), newJob({ priority: 1 }), newJob()]);
    const claimed = await claim(storage, { limit: 3 });
    expect(claimed.map((j) => j.id)).toEqual([ids[2], ids[1], ids[0]]);
  });

  it("claims honour delays", async () => {
    const storage = ctx.storage();
    const [later] = await seed(storage, [newJob({ runAt: T0 + 5000 })]);
    expect(await claim(storage, { now: T0 + 4999 })).toHaveLength(0);
    const claimed = await claim(storage, { now: T0 + 5000 });
    expect(claimed.map((j) => j.id)).toEqual([later]);
  });

  it("claims filter by queue and name", async () => {
    const storage = ctx.storage();
    const [a, b, c] = await seed(storage, [
      newJob({ queue: "q1", name: "x" }),
      newJob({ queue: "q2", name: "x" }),
      newJob({ queue: "q1", name: "y" }),
    ]);
    expect((await claim(storage, { queues: ["q2"] })).map((j) => j.id)).toEqual([b]);
    expect((await claim(storage, { queues: ["q1"], names: ["y"] })).map((j) => j.id)).toEqual([c]);
    expect((await claim(storage, { names: ["x"] })).map((j) => j.id)).toEqual([a]);
  });

  it("a claim hinted with `first` takes exactly what it would take without the hint", async () => {
    const storage = ctx.storage();
    const ids = (jobs: { id: string }[]) => jobs.map((j) => j.id);
    const x = { names: ["x"] };
    // Alone and due: the hinted job, the same record storage holds.
    const [alone] = await seed(storage, [newJob({ name: "x" })]);
    const [claimed] = await claim(storage, { ...x, first: alone });
    expect(claimed?.id).toBe(alone);
    expect(claimed).toEqual(await run(storage.get(alone as string)));
    expect(claimed?.attempts).toHaveLength(1);
    // Active, an unknown id, another name's job: the hint changes nothing.
    expect(await claim(storage, { ...x, first: alone })).toEqual([]);
    // Waiting again from a later clock than this claim's: not due for it.
    await run(storage.record([{ ...lease(claimed), kind: "released" }], T0 + 100));
    expect(await claim(storage, { ...x, first: alone, now: T0 + 50 })).toEqual([]);
    expect(ids(await claim(storage, { ...x, first: alone, now: T0 + 100 }))).toEqual([alone]);
    expect(await claim(storage, { ...x, first: "no-such-job" })).toEqual([]);
    const [other] = await seed(storage, [newJob({ name: "y" })]);
    expect(await claim(storage, { ...x, first: other })).toEqual([]);
    // A job ahead of it in claim order goes first; one behind it comes along when there is room.
    const [older, hinted] = await seed(storage, [
      newJob({ name: "x", runAt: T0 - 10 }),
      newJob({ name: "x" }),
    ]);
    expect(ids(await claim(storage, { ...x, first: hinted, limit: 1 }))).toEqual([older]);
    const [behind] = await seed(storage, [newJob({ name: "x", priority: 1 })]);
    expect(ids(await claim(storage, { ...x, first: hinted, limit: 5 }))).toEqual([hinted, behind]);
    // Not due yet, or its queue paused: not claimed.
    const [later] = await seed(storage, [newJob({ name: "x", runAt: T0 + 5000 })]);
    expect(await claim(storage, { ...x, first: later })).toEqual([]);
    const [held] = await seed(storage, [newJob({ name: "x", queue: "held" })]);
    await run(storage.setPaused("held", true));
    expect(await claim(storage, { ...x, first: held })).toEqual([]);
    // A delayed job that fell due before it is promoted and taken first.
    const [fresh] = await seed(storage, [newJob({ name: "x", runAt: T0 + 6000 })], T0 + 6000);
    expect(ids(await claim(storage, { ...x, first: fresh, now: T0 + 6000, limit: 1 }))).toEqual([
      later,
    ]);
    expect(ids(await claim(storage, { ...x, first: fresh, now: T0 + 6000 }))).toEqual([fresh]);
    await run(storage.setPaused("held", false));
    expect(ids(await claim(storage, { now: T0 + 6000 }))).toEqual([other, held]);
  });

  it("a name group claims its job from every queue in claim order; a queue group passes other queues and names by; a paused queue gives nothing", async () => {
    const storage = ctx.storage();
    const ids = await seed(storage, [
      newJob({ name: "a", queue: "q3", runAt: T0 - 9000 }), // 0: paused below
      newJob({ name: "a", queue: "q2", runAt: T0 - 2000 }), // 1
      newJob({ name: "b", queue: "q1", priority: -5, runAt: T0 - 5000 }), // 2: another name, ahead
      newJob({ name: "a", queue: "q1", runAt: T0 - 1000 }), // 3
      newJob({ name: "a", queue: "q1", priority: 2, runAt: T0 - 8000 }), // 4: low priority, oldest
      newJob({ name: "a", queue: "q2", priority: -1 }), // 5: highest priority of "a"
      newJob({ name: "a", queue: "q2" }), // 6
    ]);
    await run(storage.setPaused("q3", true));
    const claimed = async (filter: { queues?: string[]; names?: string[]; limit?: number }) =>
      (await claim(storage, filter)).map((j) => j.id);
    expect(await claimed({ names: ["a"], limit: 3 })).toEqual([ids[5], ids[1], ids[3]]);
    expect(await claimed({ queues: ["q1"], names: ["a", "c"] })).toEqual([ids[4]]);
    expect(await claimed({ queues: ["q3"], names: ["a"] })).toEqual([]);
    expect(await claimed({ names: ["a"] })).toEqual([ids[6]]);
    expect(await claimed({ queues: ["q1"], names: ["a", "b"] })).toEqual([ids[2]]);
    await run(storage.setPaused("q3", false));
    expect(await claimed({ queues: ["q3"], names: ["a"] })).toEqual([ids[0]]);
  });

  it("claims stop at the limit", async () => {
    const storage = ctx.storage();
    await seed(
      storage,
      Array.from({ length: 7 }, () => newJob()),
    );
    expect(await claim(storage, { limit: 3 })).toHaveLength(3);
    expect(await claim(storage, { limit: 10 })).toHaveLength(4);
    expect(await claim(storage, { limit: 10 })).toHaveLength(0);
  });

  it("nextWakeAt reports the earliest due job or lease expiry", async () => {
    const storage = ctx.storage();
    expect(await run(storage.nextWakeAt({}))).toBeNull();
    await seed(storage, [
      newJob({ runAt: T0 + 9000, name: "late" }),
      newJob({ runAt: T0 + 7000, queue: "other" }),
    ]);
    expect(await run(storage.nextWakeAt({}))).toBe(T0 + 7000);
    expect(await run(storage.nextWakeAt({ names: ["late"] }))).toBe(T0 + 9000);
    await seed(storage, [newJob({ runAt: T0 })]);
    await claim(storage, { leaseMs: 2000 });
    expect(await run(storage.nextWakeAt({ names: ["nothing"] }))).toBe(T0 + 2000);
    await run(storage.setPaused("other", true));
    expect(await run(storage.nextWakeAt({ queues: ["other"] }))).toBe(T0 + 2000);
  });

  it("nextWakeAt reports the earliest due job of a name or a queue, whatever its priority", async () => {
    const storage = ctx.storage();
    await seed(storage, [
      newJob({ name: "a", queue: "q1", runAt: T0 - 1000 }),
      newJob({ name: "a", queue: "q2", priority: 5, runAt: T0 - 3000 }),
      newJob({ name: "a", queue: "q1", priority: -2 }),
      newJob({ name: "b", queue: "q1", priority: 9, runAt: T0 - 4000 }),
      newJob({ name: "a", queue: "q1", priority: 7, runAt: T0 - 2000 }),
    ]);
    expect(await run(storage.nextWakeAt({ names: ["a"] }))).toBe(T0 - 3000);
    expect(await run(storage.nextWakeAt({ queues: ["q1"], names: ["a"] }))).toBe(T0 - 2000);
    expect(await run(storage.nextWakeAt({ queues: ["q1"], names: ["a", "b"] }))).toBe(T0 - 4000);
    await run(storage.setPaused("q2", true));
    expect(await run(storage.nextWakeAt({ names: ["a"] }))).toBe(T0 - 2000);
  });

  it("nextWakeAt reports a due job nobody claimed, within the filter, unless its queue is paused", async () => {
    const storage = ctx.storage();
    await seed(storage, [
      newJob({ runAt: T0 - 500, queue: "first", name: "a" }),
      newJob({ runAt: T0, queue: "second", name: "b" }),
      newJob({ runAt: T0 + 100, queue: "second", name: "b" }),
    ]);
    expect(await run(storage.nextWakeAt({}))).toBe(T0 - 500);
    expect(await run(storage.nextWakeAt({ queues: ["second"] }))).toBe(T0);
    expect(await run(storage.nextWakeAt({ names: ["a"] }))).toBe(T0 - 500);
    expect(await run(storage.nextWakeAt({ names: ["nothing"] }))).toBeNull();
    await run(storage.setPaused("first", true));
    expect(await run(storage.nextWakeAt({}))).toBe(T0);
    expect(await run(storage.nextWakeAt({ queues: ["first"] }))).toBeNull();
  });
}
