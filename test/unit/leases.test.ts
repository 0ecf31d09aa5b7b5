import { defineJob, type Storage } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import * as v from "valibot";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nextEvent, setup } from "./_harness.js";

/** Runs until its signal fires; reports why. */
const hold = defineJob({
  name: "hold",
  input: v.object({}),
  run: (_input, ctx) =>
    new Promise((_resolve, reject) =>
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
    ),
});

/** Takes `ms`, then returns. */
const slow = defineJob({
  name: "slow",
  input: v.object({ ms: v.number() }),
  run: async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return "done";
  },
});

afterEach(() => {
  vi.useRealTimers();
});

/** Under fake timers: moves the clock in small steps until `promise` settles (at most `ms`). */
async function within<T>(promise: Promise<T>, ms = 5_000): Promise<T> {
  let done = false;
  void promise.finally(() => {
    done = true;
  });
  for (let t = 0; t < ms && !done; t += 10) await vi.advanceTimersByTimeAsync(10);
  return promise;
}

describe("leases held by a Manager", () => {
  it("are renewed while a job runs longer than its lease: one attempt, no rescue", async () => {
    vi.useFakeTimers();
    const { manager, events } = setup({
      jobs: [slow],
      workers: { slow: 1 },
      lease: 300,
      rescueInterval: 100,
    });
    await manager.start();
    const job = await manager.enqueue(slow, { ms: 2_000 });
    const completed = nextEvent(manager, "completed");
    await vi.advanceTimersByTimeAsync(2_500);
    await completed;
    const stored = await manager.get(job.id);
    expect(stored?.attempts.map((a) => a.outcome)).toEqual(["completed"]);
    expect(events.filter((e) => e.type === "stalled" || e.type === "stale")).toEqual([]);
    await manager.stop();
  });

  it("a cancel asked for through another Manager reaches the holder at its next renewal", async () => {
    vi.useFakeTimers();
    const storage = memoryStorage();
    const holder = setup({
      storage,
      jobs: [hold],
      workers: { hold: 1 },
      lease: 3_000,
      heartbeat: 200,
    });
    const other = setup({ storage, jobs: [hold], workers: {} });
    await holder.manager.start();
    await other.manager.start();
    const job = await holder.manager.enqueue(hold, {});
    await within(nextEvent(holder.manager, "active"));
    const asked = await other.manager.cancel(job.id, "asked elsewhere");
    expect(asked).toMatchObject({ state: "active", cancelRequested: true });
    await within(nextEvent(holder.manager, "cancelled"), 300);
    expect(await holder.manager.get(job.id)).toMatchObject({
      state: "cancelled",
      cancelReason: "asked elsewhere",
    });
    await holder.manager.stop();
    await other.manager.stop();
  });

  it("a lost lease: the job is rescued and run elsewhere, and the old holder's result is refused (stale)", async () => {
    vi.useFakeTimers();
    const storage = memoryStorage();
    // The first holder cannot renew (its storage drops extensions): its lease runs out.
    const deaf: Storage = {
      ...storage,
      extendLeases: (leases) => leases.map(() => "extended" as const),
    };
    const release = { open: () => {} };
    const stuck = defineJob({
      name: "slow",
      input: v.object({ ms: v.number() }),
      run: () =>
        new Promise<unknown>((resolve) => {
          release.open = () => resolve("late");
        }),
    });
    const first = setup({
      storage: deaf,
      jobs: [stuck],
      workers: { slow: 1 },
      lease: 500,
      abortGrace: 60_000,
    });
    const second = setup({
      storage,
      jobs: [slow],
      workers: { slow: 1 },
      lease: 500,
      rescueInterval: 100,
    });
    await first.manager.start();
    const job = await first.manager.enqueue(stuck, { ms: 0 });
    await within(nextEvent(first.manager, "active"));
    await second.manager.start();
    const stalled = nextEvent(second.manager, "stalled");
    const done = nextEvent(second.manager, "completed");
    await within(stalled, 1_000);
    await within(done, 1_000);
    // The first holder's handler finally returns: its result is refused, not written.
    const stale = nextEvent(first.manager, "stale");
    release.open();
    expect((await within(stale, 100)).refused).toBe("completed");
    const stored = await second.manager.get(job.id);
    expect(stored).toMatchObject({ state: "completed", output: "done" });
    expect(stored?.attempts.map((a) => a.outcome)).toEqual(["stalled", "completed"]);
    await first.manager.stop({ graceful: false });
    await second.manager.stop();
  });
});
