// An idle Worker's cycle (a job arrives, runs, its result is written) asks storage for one claim
// per job: the result's write claims for the freed Worker, and when that comes back short the
// pump arms the wake-up without claiming again. Skipping that claim must never strand a job.
import {
  defineJob,
  type EnqueueResult,
  type JobEvent,
  type JobRecord,
  type Storage,
  StorageError,
} from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { memoryStorage } from "shiftwork/adapters/memory";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isPromise } from "../../src/ports.js";
import { countCalls } from "../_count-calls.js";
import { gate, settle, setup } from "./_harness.js";

const T0 = 1_700_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const tick = defineJob({ name: "tick", input: v.object({}), run: async () => {} });

// The memory adapter tells subscribers of its own requeues; libSQL's own commits raise no notice,
// so the skip is tested on both.
const storages: [string, () => Storage][] = [
  ["memory", () => memoryStorage()],
  ["libsql", () => libsqlStorage({ url: ":memory:" })],
];

describe.each(storages)("%s", (_name, makeStorage) => {
  it("five jobs enqueued one by one to an idle Worker: each handed off as it is inserted, no claim; five results that claimed nothing", async () => {
    const { storage, calls } = countCalls(makeStorage());
    const { manager } = setup({ jobs: [tick], workers: { tick: 1 }, storage });
    await manager.start();
    await settle();
    calls.clear();
    for (let i = 0; i < 5; i++) {
      const { id } = await manager.enqueue(tick, {});
      await settle();
      expect((await manager.get(id))?.state).toBe("completed");
    }
    // The claim made at start came back empty: each job goes to the Worker in its own insert.
    expect(calls.get("claim")).toBeUndefined();
    expect(calls.get("enqueue")).toBe(5);
    expect(calls.get("recordAndClaim")).toBe(5);
    await manager.stop();
  });

  it("an enqueue that lands while a result's claim is in flight is claimed by the next pump, not found later by the wake-up query", async () => {
    const inner = makeStorage();
    let enqueueDuringClaim: (() => Promise<unknown>) | undefined;
    const verbs: string[] = [];
    const storage: Storage = {
      ...inner,
      claim: (request) => {
        verbs.push("claim");
        return inner.claim(request);
      },
      nextWakeAt: (filter) => {
        verbs.push("nextWakeAt");
        return inner.nextWakeAt(filter);
      },
      recordAndClaim: async (results, requests, now) => {
        verbs.push("recordAndClaim");
        const answer = await (inner.recordAndClaim as NonNullable<Storage["recordAndClaim"]>)(
          results,
          requests,
          now,
        );
        // After the claim saw nothing due, before its hand-over.
        const enqueue = enqueueDuringClaim;
        enqueueDuringClaim = undefined;
        await enqueue?.();
        return answer;
      },
    };
    const { manager } = setup({ jobs: [tick], workers: { tick: 1 }, storage });
    await manager.start();
    let second: string | undefined;
    enqueueDuringClaim = async () => {
      second = (await manager.enqueue(tick, {})).id;
    };
    await manager.enqueue(tick, {});
    await settle();
    expect(second).toBeDefined();
    expect((await manager.get(second as string))?.state).toBe("completed");
    // The pump after the first result's hand-over claimed the second job straight away.
    const after = verbs.slice(verbs.indexOf("recordAndClaim") + 1);
    expect(after.find((verb) => verb !== "recordAndClaim")).toBe("claim");
    await manager.stop();
  });

  it("a dead process's expired lease does not make an idle Worker claim again and again until the rescue", async () => {
    const { storage, calls } = countCalls(makeStorage());
    await storage.migrate();
    // Another process claimed this job for 40 ms and died.
    await storage.enqueue(
      [
        {
          name: "tick",
          queue: "default",
          input: {},
          priority: 0,
          runAt: T0,
          maxAttempts: 3,
          key: null,
        },
      ],
      T0,
    );
    await storage.claim({ names: ["tick"], limit: 1, leaseMs: 40, now: T0 });
    const { manager } = setup({
      jobs: [tick],
      workers: { tick: 1 },
      storage,
      rescueInterval: 2_000,
    });
    await manager.start();
    await settle();
    calls.clear();
    await vi.advanceTimersByTimeAsync(400);
    // The lease ran out at T0 + 40: the wake-up then finds nothing it can claim, and the Worker
    // waits for the rescue (counted: 2 claims), where a claim per turn ran thousands of times.
    expect(calls.get("claim")).toBeLessThanOrEqual(3);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls.get("rescueExpired")).toBe(1);
    await settle();
    expect((await manager.get("1"))?.state).toBe("completed");
    await manager.stop();
  });

  it("a delayed job that falls due between a short claim and the pump after it is claimed at once", async () => {
    const inner = makeStorage();
    let now = T0;
    const storage: Storage = {
      ...inner,
      recordAndClaim: async (results, requests, at) => {
        const answer = await (inner.recordAndClaim as NonNullable<Storage["recordAndClaim"]>)(
          results,
          requests,
          at,
        );
        // The clock moves past the delayed job's time while this short claim is answered.
        now = T0 + 1_000;
        return answer;
      },
    };
    const { manager } = setup({
      jobs: [tick],
      workers: { tick: 1 },
      storage,
      now: () => now,
    });
    await manager.start();
    const later = await manager.enqueue(tick, {}, { delay: 500 });
    await manager.enqueue(tick, {});
    // No timer may fire: only microtasks and timers due at once run.
    await settle();
    expect((await manager.get(later.id))?.state).toBe("completed");
    await manager.stop();
  });
});

describe.each(storages)("%s hand-off", (_name, makeStorage) => {
  it("a lone enqueue to a drained Worker is inserted claimed; a job already waiting goes first; a delayed one waits", async () => {
    const inner = makeStorage();
    const asked: boolean[] = [];
    const handed: boolean[] = [];
    let claims = 0;
    const storage: Storage = {
      ...inner,
      async enqueue(jobs, now, claim) {
        asked.push(claim !== undefined);
        const results = await inner.enqueue(jobs, now, claim);
        handed.push(results[0]?.claimed !== undefined);
        return results;
      },
      claim: (request) => {
        claims++;
        return inner.claim(request);
      },
    };
    const ran: number[] = [];
    const note = defineJob({
      name: "note",
      input: v.object({ n: v.number() }),
      run: async ({ n }) => {
        ran.push(n);
      },
    });
    const { manager } = setup({ jobs: [note], workers: { note: 1 }, storage });
    const events: string[] = [];
    for (const type of ["enqueued", "active", "completed"] as const) {
      manager.addEventListener(type, (event) =>
        events.push(`${type} ${(event as JobEvent).jobId}`),
      );
    }
    await manager.start();
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      ids.push((await manager.enqueue(note, { n })).id);
      await settle();
    }
    // The first job is claimed (no claim has come back short yet); the next two are handed off.
    expect(asked).toEqual([false, true, true]);
    expect(handed).toEqual([false, true, true]);
    expect(claims).toBe(1);
    // Each in the order a claim would give: enqueued, then active, then completed.
    expect(events.slice(3)).toEqual(
      ids.slice(1).flatMap((id) => [`enqueued ${id}`, `active ${id}`, `completed ${id}`]),
    );
    // A job written to storage behind the Manager's back waits ahead of the next enqueue: the
    // insert does not claim, and the claim that follows takes both in order.
    await inner.enqueue(
      [
        {
          name: "note",
          queue: "default",
          input: { n: 3 },
          priority: 0,
          runAt: T0,
          maxAttempts: 1,
          key: null,
        },
      ],
      T0,
    );
    await manager.enqueue(note, { n: 4 });
    await settle();
    expect(asked).toEqual([false, true, true, true]);
    expect(handed).toEqual([false, true, true, false]);
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    // A delayed job is not offered: no claim could take it now.
    await manager.enqueue(note, { n: 5 }, { delay: 60_000 });
    await settle();
    expect(asked.at(-1)).toBe(false);
    await manager.stop();
  });

  it("the enqueued event says attempt 0 and the returned record is the caller's own: changing it does not touch the running job", async () => {
    const gates = [gate(), gate()];
    let runs = 0;
    const held = defineJob({
      name: "held",
      input: v.object({}),
      run: () => (gates[runs++] as ReturnType<typeof gate>).promise,
    });
    const { manager, events } = setup({
      jobs: [tick, held],
      workers: { held: 1 },
      storage: makeStorage(),
    });
    await manager.start();
    await manager.enqueue(held, {});
    await settle();
    gates[0]?.open();
    await settle();
    const record = await manager.enqueue(held, {});
    expect(record.state).toBe("active");
    // A caller hiding the token before logging the record, while the job runs.
    (record as { leaseToken: string | null }).leaseToken = null;
    gates[1]?.open();
    await settle();
    const mine = events.filter((e) => e.jobId === record.id);
    expect(mine.map((e) => [e.type, e.attempt])).toEqual([
      ["enqueued", 0],
      ["active", 1],
      ["completed", 1],
    ]);
    await manager.stop();
  });

  it("storage that answers at once starts the handed-off job before enqueue returns, and the caller resumes before its result is written", async () => {
    const inner = makeStorage();
    let written = 0;
    const storage: Storage = {
      ...inner,
      record(results, now) {
        written += results.length;
        return inner.record(results, now);
      },
      recordAndClaim(results, requests, now) {
        written += results.length;
        return (inner.recordAndClaim as NonNullable<Storage["recordAndClaim"]>)(
          results,
          requests,
          now,
        );
      },
    };
    let started = 0;
    const quick = defineJob({
      name: "quick",
      input: v.object({}),
      run: () => {
        started++;
      },
    });
    const { manager } = setup({ jobs: [quick], workers: { quick: 1 }, storage });
    await manager.start();
    // The claim made at start comes back empty: the next lone enqueue is handed off.
    await settle();
    const enqueued = manager.enqueue(quick, {});
    expect(started).toBe(1);
    const record = await enqueued;
    expect(record.state).toBe("active");
    expect(written).toBe(0);
    await settle();
    expect(written).toBe(1);
    expect((await manager.get(record.id))?.state).toBe("completed");
    await manager.stop();
  });

  it("an enqueue made by an enqueued listener does not pick the Worker the announced job is about to start on", async () => {
    const inner = makeStorage();
    const handed: boolean[] = [];
    const storage: Storage = {
      ...inner,
      enqueue(jobs, now, claim) {
        const note = (results: EnqueueResult[]) => {
          handed.push(results[0]?.claimed !== undefined);
          return results;
        };
        const answer = inner.enqueue(jobs, now, claim);
        return isPromise(answer) ? answer.then(note) : note(answer);
      },
    };
    const { manager } = setup({ jobs: [tick], workers: { tick: 1 }, storage });
    await manager.start();
    await settle();
    let follow: Promise<JobRecord> | undefined;
    manager.addEventListener("enqueued", () => {
      follow ??= manager.enqueue(tick, {});
    });
    const first = await manager.enqueue(tick, {});
    const second = await (follow as Promise<JobRecord>);
    await settle();
    // The first job went to the Worker as it was stored; the listener's job waited for it.
    expect(handed).toEqual([true, false]);
    for (const { id } of [first, second]) {
      const job = await manager.get(id);
      expect([job?.state, job?.attempts.length]).toEqual(["completed", 1]);
    }
    await manager.stop();
  });

  it("handlers that enqueue as they start do not nest: one handler start at a time however many Workers wait", async () => {
    let depth = 0;
    let deepest = 0;
    const next: { enqueue?: (n: number) => void } = {};
    const chain = defineJob({
      name: "chain",
      input: v.object({ n: v.number() }),
      run: ({ n }) => {
        depth++;
        deepest = Math.max(deepest, depth);
        if (n < 20) next.enqueue?.(n + 1);
        depth--;
      },
    });
    const { manager } = setup({ jobs: [chain], workers: { chain: 8 }, storage: makeStorage() });
    next.enqueue = (n) => void manager.enqueue(chain, { n });
    await manager.start();
    await settle();
    const { id } = await manager.enqueue(chain, { n: 0 });
    await settle(30);
    expect(deepest).toBe(1);
    const { jobs } = await manager.list({ state: "completed", limit: 100 });
    expect(jobs.map((j) => j.input)).toHaveLength(21);
    expect((await manager.get(id))?.state).toBe("completed");
    await manager.stop();
  });

  it("a hand-off that storage refuses by throwing at once rejects the enqueue with a StorageError and frees the Worker", async () => {
    const inner = makeStorage();
    let throwNext = false;
    const storage: Storage = {
      ...inner,
      enqueue(jobs, now, claim) {
        if (claim && throwNext) {
          throwNext = false;
          throw new Error("disk full");
        }
        return inner.enqueue(jobs, now, claim);
      },
    };
    const { manager } = setup({ jobs: [tick], workers: { tick: 1 }, storage });
    await manager.start();
    await settle();
    throwNext = true;
    const failed = manager.enqueue(tick, {});
    await expect(failed).rejects.toBeInstanceOf(StorageError);
    await expect(failed).rejects.toThrow(/disk full/);
    // Nothing was stored, and the Worker takes the next job.
    const { id } = await manager.enqueue(tick, {});
    await settle();
    expect((await manager.get(id))?.state).toBe("completed");
    expect((await manager.list({ limit: 10 })).jobs).toHaveLength(1);
    await manager.stop();
  });

  it("a hand-off with storage that answers at once resolves enqueue already settled: the caller resumes in the first turn", async () => {
    const { manager } = setup({ jobs: [tick], workers: { tick: 1 }, storage: makeStorage() });
    await manager.start();
    await settle();
    const enqueued = manager.enqueue(tick, {});
    let turns = 0;
    let resumedAfter = -1;
    void enqueued.then(() => {
      resumedAfter = turns;
    });
    for (let i = 0; i < 5; i++) {
      await null;
      turns++;
    }
    expect(resumedAfter).toBe(0);
    expect((await enqueued).state).toBe("active");
    await manager.stop();
  });

  it("a hand-off whose write fails leaves no work waiting for a timer: a job that arrived meanwhile runs", async () => {
    const inner = makeStorage();
    const paused = gate();
    let failNext = false;
    const storage: Storage = {
      ...inner,
      async enqueue(jobs, now, claim) {
        if (claim && failNext) {
          failNext = false;
          await paused.promise;
          throw new Error("network down");
        }
        return inner.enqueue(jobs, now, claim);
      },
    };
    const { manager } = setup({ jobs: [tick], workers: { tick: 1 }, storage });
    await manager.start();
    await manager.enqueue(tick, {});
    await settle();
    failNext = true;
    const failing = manager.enqueue(tick, {}).then(
      () => "stored",
      (error: Error) => error.message,
    );
    await settle();
    // Another process's job (the memory storage tells the Manager; libSQL's own handle does not,
    // and the Manager's next pump finds it either way).
    const [other] = await inner.enqueue(
      [
        {
          name: "tick",
          queue: "default",
          input: {},
          priority: 0,
          runAt: T0,
          maxAttempts: 1,
          key: null,
        },
      ],
      T0,
    );
    await settle();
    paused.open();
    expect(await failing).toMatch(/network down/);
    await settle();
    expect((await inner.get(other?.job.id as string))?.state).toBe("completed");
    await manager.stop();
  });
});
