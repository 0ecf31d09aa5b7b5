// Group commit of enqueues (adapters/_sql/enqueue-group.ts): which calls share a transaction, and
// what each caller gets back, counted exactly on a fake write.
import { expect, it } from "vitest";
import { type EnqueueRun, enqueueGroup } from "../../adapters/_sql/enqueue-group.js";
import type { EnqueueResult, NewJob } from "../../src/ports.js";

const job = (n: number): NewJob => ({
  name: "tick",
  queue: "default",
  input: { n },
  priority: 0,
  runAt: 0,
  maxAttempts: 1,
  key: null,
});

/** A fake transaction: numbers jobs in order and notes each call's runs (n and clock). */
function fakeWrite(options: { async?: boolean; failWhen?: (runs: EnqueueRun[]) => boolean } = {}) {
  const transactions: { n: number[]; now: number }[][] = [];
  let seq = 0;
  const write = (runs: EnqueueRun[]) => {
    // A synchronous engine throws; an asynchronous one rejects.
    if (options.failWhen?.(runs)) {
      if (options.async) return Promise.reject(new Error("refused"));
      throw new Error("refused");
    }
    transactions.push(
      runs.map((r) => ({
        n: r.jobs.map((j) => (j.input as { n: number }).n),
        now: r.now,
        ...(r.claim ? { claim: true } : {}),
      })),
    );
    const out = runs.map((r) =>
      r.jobs.map(
        (j): EnqueueResult => ({ created: true, job: { seq: ++seq, input: j.input } as never }),
      ),
    );
    return options.async ? Promise.resolve(out) : out;
  };
  return { write, transactions };
}

for (const async of [false, true]) {
  const engine = async ? "an asynchronous engine" : "a synchronous engine";

  it(`a hand-off with nothing before it is written at once, in its own run; one behind other calls joins their transaction as a run no call after it shares (${engine})`, async () => {
    const { write, transactions } = fakeWrite({ async });
    const enqueue = enqueueGroup(write);
    const claim = { names: ["tick"], leaseMs: 1000 };
    const first = enqueue([job(1)], 10, claim);
    // Written before the call returned: no turn spent gathering a batch.
    expect(transactions).toEqual([[{ n: [1], now: 10, claim: true }]]);
    expect((await first).map((r) => r.job.seq)).toEqual([1]);
    await Promise.all([enqueue([job(2)], 10), enqueue([job(3)], 10, claim), enqueue([job(4)], 10)]);
    expect(transactions.slice(1)).toEqual([
      [
        { n: [2], now: 10 },
        { n: [3], now: 10, claim: true },
        { n: [4], now: 10 },
      ],
    ]);
  });

  it(`calls of one turn share one transaction, each job with its own call's clock (${engine})`, async () => {
    const { write, transactions } = fakeWrite({ async });
    const enqueue = enqueueGroup(write);
    const answers = await Promise.all([
      enqueue([job(1), job(2)], 10),
      enqueue([job(3)], 10),
      enqueue([job(4)], 11),
      enqueue([job(5)], 10),
    ]);
    expect(transactions).toEqual([
      [
        { n: [1, 2, 3], now: 10 },
        { n: [4], now: 11 },
        { n: [5], now: 10 },
      ],
    ]);
    expect(answers.map((a) => a.map((r) => r.job.seq))).toEqual([[1, 2], [3], [4], [5]]);
  });

  it(`concurrent callers stay together: 8 callers of 5 enqueues each make 5 transactions of 8 (${engine})`, async () => {
    const { write, transactions } = fakeWrite({ async });
    const enqueue = enqueueGroup(write);
    let clock = 0;
    const caller = async (c: number) => {
      // Each call reads the clock, as the Manager does: it moves within a turn.
      for (let i = 0; i < 5; i++) await enqueue([job(c * 10 + i)], clock++ >> 2);
    };
    await Promise.all(Array.from({ length: 8 }, (_, c) => caller(c)));
    expect(transactions.map((t) => t.flatMap((run) => run.n).length)).toEqual([8, 8, 8, 8, 8]);
  });

  it(`a failed shared transaction is retried call by call: only the bad call fails (${engine})`, async () => {
    const { write, transactions } = fakeWrite({
      async,
      failWhen: (runs) => runs.some((r) => r.jobs.some((j) => (j.input as { n: number }).n === 2)),
    });
    const enqueue = enqueueGroup(write);
    const answers = await Promise.allSettled([
      enqueue([job(1)], 10),
      enqueue([job(2)], 10),
      enqueue([job(3)], 10),
    ]);
    expect(answers.map((a) => a.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(transactions).toEqual([[{ n: [1], now: 10 }], [{ n: [3], now: 10 }]]);
  });

  it(`a hand-off written at once answers as the engine does, and one that fails fails its own call only (${engine})`, async () => {
    const { write, transactions } = fakeWrite({
      async,
      failWhen: (runs) => runs.some((r) => r.jobs.some((j) => (j.input as { n: number }).n === 1)),
    });
    const enqueue = enqueueGroup(write);
    const claim = { names: ["tick"], leaseMs: 1000 };
    // A synchronous engine's error is thrown, its results returned, with no promise between.
    if (async) await expect(enqueue([job(1)], 10, claim)).rejects.toThrow("refused");
    else expect(() => enqueue([job(1)], 10, claim)).toThrow("refused");
    const handedOff = enqueue([job(2)], 10, claim);
    expect(Array.isArray(handedOff)).toBe(!async);
    const answers = await Promise.all([handedOff, enqueue([job(3)], 10)]);
    expect(answers.map((a) => a.map((r) => r.job.seq))).toEqual([[1], [2]]);
    expect(transactions).toEqual([[{ n: [2], now: 10, claim: true }], [{ n: [3], now: 10 }]]);
  });
}

it("a hand-off made while an asynchronous write is in flight waits its turn behind it", async () => {
  const { write, transactions } = fakeWrite({ async: true });
  const enqueue = enqueueGroup(write);
  const first = enqueue([job(1)], 10);
  await Promise.resolve();
  expect(transactions).toHaveLength(1);
  const second = enqueue([job(2)], 10, { names: ["tick"], leaseMs: 1000 });
  // Not written beside the write in flight: it goes in the next batch.
  expect(transactions).toHaveLength(1);
  await Promise.all([first, second]);
  expect(transactions).toEqual([[{ n: [1], now: 10 }], [{ n: [2], now: 10, claim: true }]]);
});
