import type { ClaimedJob, EnqueueResult, NewJob } from "shiftwork";
import { expect, it } from "vitest";
import { claim, lease, newJob, run, type StorageCaseContext, seed, T0 } from "../_context.js";

const idsOf = (jobs: { id: string }[]) => jobs.map((j) => j.id);

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
    expect(job?.attempts[0]?.startedAt).toBe(now);
    expect(await run(storage.get(id as string))).toMatchObject({ runAt, updatedAt: now });
    // The whole record, as a later read gives it: what the claim wrote (state, lease, attempt).
    expect(job).toEqual(await run(storage.get(id as string)));
    // The attempt's times too, where they are written into its JSON.
    const end = T0 + 2.123456789;
    const done = { ...lease(job as ClaimedJob), kind: "completed" as const, output: null };
    expect(await run(storage.record([done], end))).toEqual([true]);
    const stored = await run(storage.get(id as string));
    expect(stored).toMatchObject({ finishedAt: end, updatedAt: end });
    expect(stored?.attempts).toEqual([
      { attempt: 1, startedAt: now, endedAt: end, outcome: "completed", error: null },
    ]);
    // Several results in one write (a run of completions is one statement in SQL), and a failure.
    const ids = await seed(storage, [newJob(), newJob(), newJob()], T0 - 1.5);
    const claimed = await claim(storage, { now, leaseMs: 1000, limit: 3 });
    const results = claimed.map((j, i) =>
      i < 2
        ? { ...lease(j), kind: "completed" as const, output: i }
        : {
            ...lease(j),
            kind: "failed" as const,
            error: { name: "E", message: "x" },
            retryAt: null,
          },
    );
    expect(await run(storage.record(results, end))).toEqual([true, true, true]);
    for (const seeded of ids) {
      const job = await run(storage.get(seeded as string));
      expect([job?.attempts[0]?.startedAt, job?.attempts[0]?.endedAt]).toEqual([now, end]);
    }
  });

  it("an ended attempt keeps its fractional times and error when the next attempt starts", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob({ maxAttempts: 3 })], T0 - 1.5);
    const first = T0 + 0.987654321;
    const [one] = await claim(storage, { now: first, leaseMs: 1000 });
    const error = { name: "E", message: "x", stack: "E: x\n    at a" };
    const end = T0 + 2.123456789;
    const retry = { ...lease(one as ClaimedJob), kind: "retry" as const, error, runAt: end };
    expect(await run(storage.record([retry], end))).toEqual([true]);
    // The second claim moves the first attempt into the history (a JSON array in SQL).
    const second = T0 + 3.000000001;
    const [two] = await claim(storage, { now: second, leaseMs: 1000 });
    const history = [
      { attempt: 1, startedAt: first, endedAt: end, outcome: "retry", error },
      { attempt: 2, startedAt: second, endedAt: null, outcome: null, error: null },
    ];
    expect(two?.attempts).toEqual(history);
    expect((await run(storage.get(id as string)))?.attempts).toEqual(history);
    // A retried job's whole record (its error, its attempts) as a later read gives it.
    expect(two).toEqual(await run(storage.get(id as string)));
  });

  it("a claimed job equals its stored record after progress, a snooze, a release, a cancel request, a rescue and a manual retry", async () => {
    const storage = ctx.storage();
    const [id] = await seed(storage, [newJob({ maxAttempts: 2, priority: -7 })], T0 - 1.5);
    let at = T0;
    /** Claims the job `ms` later, and checks the claim against a read of the stored row. */
    const next = async (ms = 1_000) => {
      at += ms;
      const [job] = await claim(storage, { now: at, leaseMs: 1_000 });
      expect(job?.id).toBe(id);
      expect(job).toEqual(await run(storage.get(id as string)));
      return job as ClaimedJob;
    };
    const write = (job: ClaimedJob, result: Record<string, unknown>) =>
      run(storage.record([{ ...lease(job), ...result } as never], at + 0.25));
    let job = await next();
    expect(await write(job, { kind: "progress", progress: { step: 1 } })).toEqual([true]);
    expect(await write(job, { kind: "snoozed", runAt: at + 500 })).toEqual([true]);
    job = await next();
    // A cancel asked of a running job, which its Manager then releases: claimed again, still asked.
    await run(storage.cancel(id as string, "asked", at + 0.5));
    expect(await write(job, { kind: "released" })).toEqual([true]);
    job = await next();
    expect(job.cancelRequested).toBe(true);
    // Its lease runs out: the rescue ends it cancelled, and a manual retry brings it back.
    const rescued = await run(storage.rescueExpired(at + 5_000));
    expect(rescued.map((r) => [r.id, r.state])).toEqual([[id, "cancelled"]]);
    at += 5_000;
    await run(storage.retry(id as string, at));
    job = await next();
    expect(await write(job, { kind: "failed", error: { name: "E", message: "x" } })).toEqual([
      true,
    ]);
    await run(storage.retry(id as string, at + 1));
    await next();
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

  it("an enqueue asked to hand its job off claims it only when a claim made then would take it first", async () => {
    const storage = ctx.storage();
    const x = { names: ["x"], leaseMs: 1000 };
    const handOff = async (job: NewJob, now = T0) =>
      (await run(storage.enqueue([job], now, x)))[0] as EnqueueResult;
    const state = async (id: string) => (await run(storage.get(id)))?.state;
    // A job ahead of it in claim order: older, or of a higher priority.
    const [older] = await seed(storage, [newJob({ name: "x", runAt: T0 - 10 })]);
    const behindOlder = await handOff(newJob({ name: "x" }));
    const [urgent] = await seed(storage, [newJob({ name: "x", priority: -1 })]);
    const behindUrgent = await handOff(newJob({ name: "x" }));
    for (const result of [behindOlder, behindUrgent]) {
      expect(result.created).toBe(true);
      expect(result.claimed).toBeUndefined();
      expect(result.job.state).toBe("waiting");
    }
    expect(idsOf(await claim(storage, { names: ["x"], now: T0 }))).toEqual([
      urgent,
      older,
      behindOlder.job.id,
      behindUrgent.job.id,
    ]);
    // Not due, of another name, or its queue paused: not claimed.
    const later = await handOff(newJob({ name: "x", runAt: T0 + 5000 }));
    const other = await handOff(newJob({ name: "y" }));
    await run(storage.setPaused("held", true));
    const held = await handOff(newJob({ name: "x", queue: "held" }));
    for (const result of [later, other, held]) {
      expect(result.claimed).toBeUndefined();
      expect(await state(result.job.id)).toBe("waiting");
    }
    // A delayed job that fell due first is promoted and goes first: the new one waits.
    const afterDue = await handOff(newJob({ name: "x", runAt: T0 + 6000 }), T0 + 6000);
    expect(afterDue.claimed).toBeUndefined();
    expect(idsOf(await claim(storage, { names: ["x"], now: T0 + 6000 }))).toEqual([
      later.job.id,
      afterDue.job.id,
    ]);
    // Whatever a storage decides for a job with one behind it, the claim order holds.
    const [behind] = await seed(storage, [newJob({ name: "x", priority: 1 })], T0 + 6000);
    const ahead = await handOff(newJob({ name: "x" }), T0 + 6000);
    const next = idsOf(await claim(storage, { names: ["x"], now: T0 + 6000 }));
    expect(next).toEqual(ahead.claimed ? [behind] : [ahead.job.id, behind]);
    await run(storage.setPaused("held", false));
    expect(idsOf(await claim(storage, { now: T0 + 6000 }))).toEqual([other.job.id, held.job.id]);
  });

  it.skipIf(!ctx.capabilities.handsOff)(
    "an enqueue hands its job off when it is the only job a claim could take: claimed as that claim would, in the same write",
    async () => {
      const storage = ctx.storage();
      // Frozen through, as the Manager's own are: storage may keep what it derives from one.
      const x = Object.freeze({ names: Object.freeze(["x"]), leaseMs: 1000 });
      const now = T0 + 0.987654321;
      const [alone] = await run(storage.enqueue([newJob({ name: "x", key: "k" })], now, x));
      const claimed = alone?.claimed as ClaimedJob;
      expect(claimed).toMatchObject({
        state: "active",
        attempt: 1,
        leaseExpiresAt: now + 1000,
        createdAt: now,
        updatedAt: now,
        attempts: [{ attempt: 1, startedAt: now, endedAt: null, outcome: null, error: null }],
      });
      expect(alone?.job).toEqual(claimed);
      expect(alone?.job).not.toBe(claimed);
      expect(claimed).toEqual(await run(storage.get(claimed.id)));
      // Its key is held while it runs; its lease fences it like any claim's.
      const [again] = await run(storage.enqueue([newJob({ name: "x", key: "k" })], now, x));
      expect(again).toMatchObject({ created: false, job: { id: claimed.id } });
      expect(again?.claimed).toBeUndefined();
      expect(await claim(storage, { now })).toEqual([]);
      const done = { ...lease(claimed), kind: "completed" as const, output: 1 };
      expect(await run(storage.record([{ ...done, token: "stale" }], now))).toEqual([false]);
      expect(await run(storage.record([done], now))).toEqual([true]);
      // The same request again: the next job under a lease of its own.
      const [next] = await run(storage.enqueue([newJob({ name: "x" })], now, x));
      expect(next?.claimed?.leaseToken).toEqual(expect.any(String));
      expect(next?.claimed?.leaseToken).not.toBe(claimed.leaseToken);
      const nextDone = { ...lease(next?.claimed as ClaimedJob), kind: "completed" as const };
      expect(await run(storage.record([{ ...nextDone, output: null }], now))).toEqual([true]);
      // A job of the filter in a paused queue is not claimable, so it does not stand in the way.
      await run(storage.setPaused("held", true));
      await seed(storage, [newJob({ name: "z", queue: "held", runAt: T0 - 10 })], now);
      const queues = { queues: ["default", "held"], names: ["z"], leaseMs: 1000 };
      const [past] = await run(storage.enqueue([newJob({ name: "z" })], now, queues));
      expect(past?.claimed?.id).toBe(past?.job.id);
      // A queue group's Worker takes its queue's job the same way.
      const q = { queues: ["q"], names: ["x", "y"], leaseMs: 1000 };
      const [inQueue] = await run(storage.enqueue([newJob({ name: "y", queue: "q" })], now, q));
      expect(inQueue?.claimed?.id).toBe(inQueue?.job.id);
      const tokens = [alone, next, past, inQueue].map((r) => r?.claimed?.leaseToken);
      expect(new Set(tokens).size).toBe(4);
    },
  );

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
