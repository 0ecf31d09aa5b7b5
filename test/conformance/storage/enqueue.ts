import { expect, it } from "vitest";
import { attempt, claim, newJob, run, type StorageCaseContext, seed, T0 } from "../_context.js";

/** Enqueue, get, unique keys, all-or-nothing batches. */
export function enqueueCases(ctx: StorageCaseContext): void {
  it("enqueue and get round-trip", async () => {
    const storage = ctx.storage();
    const input = { to: "a@example.com", nested: { list: [1, "two", null, true] } };
    const [result] = await run(
      storage.enqueue([newJob({ name: "email.send", queue: "mail", input, priority: 5 })], T0),
    );
    expect(result?.created).toBe(true);
    const job = await run(storage.get(result?.job.id as string));
    expect(job).toMatchObject({
      id: result?.job.id,
      name: "email.send",
      queue: "mail",
      input,
      state: "waiting",
      priority: 5,
      runAt: T0,
      attempt: 0,
      maxAttempts: 3,
      key: null,
      leaseToken: null,
      attempts: [],
      createdAt: T0,
      finishedAt: null,
    });
    expect(typeof job?.seq).toBe("number");
    expect(await run(storage.get("no-such-job"))).toBeNull();
  });

  it("sequence numbers grow with insertion order", async () => {
    const storage = ctx.storage();
    const ids = await seed(storage, [newJob(), newJob(), newJob()]);
    const seqs = await Promise.all(ids.map(async (id) => (await run(storage.get(id)))?.seq ?? 0));
    expect(seqs[0]).toBeLessThan(seqs[1] as number);
    expect(seqs[1]).toBeLessThan(seqs[2] as number);
  });

  it("enqueue is all or nothing", async () => {
    const storage = ctx.storage();
    const bad = { ...newJob(), priority: "high" } as never;
    await expect(attempt(() => storage.enqueue([newJob(), bad], T0))).rejects.toThrow(/priority/);
    expect((await run(storage.list({ limit: 100 }))).jobs).toHaveLength(0);
  });

  it("unique keys under concurrent enqueue", async () => {
    const storage = ctx.storage();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => run(storage.enqueue([newJob({ key: "only-one" })], T0))),
    );
    const flat = results.flat();
    expect(new Set(flat.map((r) => r.job.id)).size).toBe(1);
    expect(flat.filter((r) => r.created)).toHaveLength(1);
    expect((await run(storage.list({ limit: 100 }))).jobs).toHaveLength(1);
  });

  it("a key held by an active job returns that job", async () => {
    const storage = ctx.storage();
    const [first] = await seed(storage, [newJob({ key: "k" })]);
    await claim(storage);
    const [again] = await run(storage.enqueue([newJob({ key: "k" })], T0));
    expect(again).toMatchObject({ created: false, job: { id: first, state: "active" } });
  });

  it("a key is free again once its job finishes", async () => {
    const storage = ctx.storage();
    const [first] = await seed(storage, [newJob({ key: "k" })]);
    const [claimed] = await claim(storage);
    const lease = { id: first as string, token: claimed?.leaseToken as string };
    expect(await run(storage.record([{ ...lease, kind: "completed", output: 1 }], T0))).toEqual([
      true,
    ]);
    const [second] = await run(storage.enqueue([newJob({ key: "k" })], T0));
    expect(second?.created).toBe(true);
    expect(second?.job.id).not.toBe(first);
  });

  it("duplicate keys inside one batch insert one job", async () => {
    const storage = ctx.storage();
    const results = await run(storage.enqueue([newJob({ key: "d" }), newJob({ key: "d" })], T0));
    expect(results.map((r) => r.created)).toEqual([true, false]);
    expect(results[0]?.job.id).toBe(results[1]?.job.id);
  });

  it("a batch mixing new, repeated and held keys inserts in order and answers per job", async () => {
    const storage = ctx.storage();
    const [held] = await seed(storage, [newJob({ key: "h" })]);
    const batch = [
      newJob({ key: "h", input: { i: 0 } }),
      newJob({ input: { i: 1 } }),
      newJob({ key: "x", input: { i: 2 } }),
      newJob({ key: "x", input: { i: 3 } }),
      newJob({ input: { i: 4 } }),
    ];
    const results = await run(storage.enqueue(batch, T0));
    expect(results.map((r) => r.created)).toEqual([false, true, true, false, true]);
    expect(results[0]?.job.id).toBe(held);
    expect(results[3]?.job.id).toBe(results[2]?.job.id);
    expect(results.map((r) => r.job.input)).toEqual([
      { n: expect.any(Number) },
      { i: 1 },
      { i: 2 },
      { i: 2 },
      { i: 4 },
    ]);
    const seqs = [1, 2, 4].map((i) => results[i]?.job.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect((await run(storage.list({ limit: 100 }))).jobs).toHaveLength(4);
  });

  it("concurrent enqueues each get their own jobs, each call's jobs in its order", async () => {
    const storage = ctx.storage();
    const calls = await Promise.all(
      Array.from({ length: 10 }, (_, c) =>
        run(storage.enqueue([newJob({ input: { c, j: 0 } }), newJob({ input: { c, j: 1 } })], T0)),
      ),
    );
    calls.forEach((results, c) => {
      expect(results.map((r) => r.job.input)).toEqual([
        { c, j: 0 },
        { c, j: 1 },
      ]);
      expect(results[0]?.job.seq).toBeLessThan(results[1]?.job.seq as number);
    });
    // Calls may reach an asynchronous adapter in any order; each is stored whole, none twice.
    const claimed = await claim(storage, { limit: 20 });
    const key = (input: unknown) => JSON.stringify(input);
    expect(claimed.map((j) => key(j.input)).sort()).toEqual(
      calls
        .flat()
        .map((r) => key(r.job.input))
        .sort(),
    );
    expect(new Set(claimed.map((j) => j.id)).size).toBe(20);
  });

  it("the record an enqueue answers is the stored job, alone or in a batch", async () => {
    const storage = ctx.storage();
    const [alone] = await run(
      storage.enqueue([newJob({ key: "a", priority: 3, runAt: T0 + 60_000, input: [1, "x"] })], T0),
    );
    const batch = await run(
      storage.enqueue(
        [
          newJob({ queue: "q2", maxAttempts: 7 }),
          newJob({ key: "b", input: { deep: { v: null } } }),
        ],
        T0 + 1,
      ),
    );
    for (const result of [alone, ...batch]) {
      expect(result?.created).toBe(true);
      expect(result?.job).toEqual(await run(storage.get(result?.job.id as string)));
    }
  });
}
