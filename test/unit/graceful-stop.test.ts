import { defineJob, type Storage } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { gate, nextEvent, settle, setup } from "./_harness.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A job that takes `ms` of (fake) time, or until its signal aborts; records abort reasons. */
function slowJob(ms: number) {
  const aborts: unknown[] = [];
  const starts: string[] = [];
  const job = defineJob({
    name: "slow",
    input: v.object({ n: v.number() }),
    run: ({ n }, ctx) => {
      starts.push(ctx.jobId);
      return new Promise<number>((resolve) => {
        const timer = setTimeout(() => resolve(n), ms);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          aborts.push(ctx.signal.reason);
          resolve(-1);
        });
      });
    },
  });
  return { job, aborts, starts };
}

describe("graceful stop", () => {
  it("lets in-flight jobs finish before the deadline, and claims nothing new", async () => {
    const { job, aborts, starts } = slowJob(2000);
    const { manager, trail } = setup({ jobs: [job], workers: { slow: 2 } });
    await manager.start();
    const a = await manager.enqueue(job, { n: 1 });
    const b = await manager.enqueue(job, { n: 2 });
    await settle();
    expect(starts).toEqual([a.id, b.id]);

    let stopped = false;
    const stopping = manager.stop({ graceful: true, timeout: "10s" }).then(() => {
      stopped = true;
    });
    const late = await manager.enqueue(job, { n: 3 });
    await vi.advanceTimersByTimeAsync(1999);
    expect(stopped).toBe(false);
    expect(manager.workers().map((w) => w.state)).toEqual(["stopping", "stopping"]);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;

    expect(aborts).toEqual([]);
    expect((await manager.get(a.id))?.state).toBe("completed");
    expect((await manager.get(b.id))?.output).toBe(2);
    expect(await manager.get(late.id)).toMatchObject({ state: "waiting", attempt: 0 });
    expect(starts).toEqual([a.id, b.id]);
    expect(trail(a.id)).toEqual(["enqueued", "active", "completed"]);
    expect(manager.workers().map((w) => w.state)).toEqual(["stopped", "stopped"]);
  });

  it("past the deadline, aborts the signal and releases the job, its attempt unused", async () => {
    const { job, aborts } = slowJob(60_000);
    const storage = memoryStorage();
    const first = setup({ jobs: [job], workers: { slow: 1 }, storage });
    await first.manager.start();
    const { id } = await first.manager.enqueue(job, { n: 7 });
    await settle();
    expect((await storage.get(id))?.state).toBe("active");

    const stopping = first.manager.stop({ graceful: true, timeout: 1000 });
    await vi.advanceTimersByTimeAsync(1000);
    await stopping;

    expect(aborts).toHaveLength(1);
    expect(String((aborts[0] as Error).message)).toMatch(/shutting down/);
    const released = await storage.get(id);
    expect(released).toMatchObject({ state: "waiting", attempt: 0, leaseToken: null });
    expect(released?.attempts.map((x) => x.outcome)).toEqual(["released"]);
    expect(first.trail(id)).toEqual(["enqueued", "active", "released"]);

    // Another Manager on the same storage takes it at once, not after a lease expiry.
    const { job: quick } = slowJob(10);
    const second = setup({ jobs: [quick], workers: { slow: 1 }, storage });
    const completed = nextEvent(second.manager, "completed");
    await second.manager.start();
    await vi.advanceTimersByTimeAsync(10);
    await completed;
    const done = await storage.get(id);
    expect(done).toMatchObject({ state: "completed", output: 7, attempt: 1 });
    await second.manager.stop();
  });

  it("`graceful: false` releases in-flight jobs without waiting", async () => {
    const { job, aborts } = slowJob(60_000);
    const { manager, storage } = setup({ jobs: [job], workers: { slow: 1 } });
    await manager.start();
    const { id } = await manager.enqueue(job, { n: 1 });
    await settle();
    await manager.stop({ graceful: false });
    expect(aborts).toHaveLength(1);
    expect(await storage.get(id)).toMatchObject({ state: "waiting", attempt: 0 });
  });

  it("a claim that returns after stop began does not leave a job stuck active", async () => {
    const { job, starts } = slowJob(10);
    const inner = memoryStorage();
    const claimGate = gate();
    let claims = 0;
    // Storage whose second claim answers only when the test says so (an async engine, slow disk).
    const storage: Storage = {
      ...inner,
      name: "slow-claim",
      // No hand-off: the enqueued job must reach the Worker through the second claim.
      enqueue: (jobs, now) => inner.enqueue(jobs, now),
      claim: async (request) => {
        claims += 1;
        if (claims === 2) await claimGate.promise;
        return inner.claim(request);
      },
    };
    const { manager } = setup({ jobs: [job], workers: { slow: 1 }, storage });
    await manager.start();
    await settle();
    const { id } = await manager.enqueue(job, { n: 1 });
    await settle();
    expect(claims).toBe(2);

    const stopping = manager.stop({ graceful: true, timeout: 1000 });
    claimGate.open();
    await vi.advanceTimersByTimeAsync(1000);
    await stopping;

    expect(starts).toEqual([]);
    expect(await inner.get(id)).toMatchObject({ state: "waiting", attempt: 0 });
  });
});
