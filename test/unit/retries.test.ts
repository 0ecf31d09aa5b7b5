import { defineJob, UnrecoverableError } from "shiftwork";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nextEvent, setup } from "./_harness.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A job that fails every time with `error()`, counting its handler's starts. */
function failing(error: () => Error, attempts = 3) {
  const starts: number[] = [];
  const job = defineJob({
    name: "failing",
    input: v.object({}),
    retry: { attempts, backoff: { type: "fixed", base: "1s" } },
    run: (_input, ctx) => {
      starts.push(ctx.attempt);
      throw error();
    },
  });
  return { job, starts };
}

describe("retries", () => {
  it("fails for good after `attempts` starts, with the last error", async () => {
    const { job, starts } = failing(() => new Error("still broken"), 3);
    const { manager, trail } = setup({ jobs: [job], workers: { failing: 2 }, random: () => 0 });
    await manager.start();
    const failed = nextEvent(manager, "failed");
    const { id } = await manager.enqueue(job, {});
    await vi.advanceTimersByTimeAsync(10_000);
    const event = await failed;

    expect(starts).toEqual([1, 2, 3]);
    expect(event.attempt).toBe(3);
    expect(event.error?.message).toBe("still broken");
    const stored = await manager.get(id);
    expect(stored).toMatchObject({ state: "failed", attempt: 3, maxAttempts: 3 });
    expect(stored?.error?.message).toBe("still broken");
    expect(trail(id).filter((t) => t === "retrying")).toHaveLength(2);
    // Nothing more runs however long we wait.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(starts).toHaveLength(3);
    await manager.stop();
  });

  it("UnrecoverableError skips the attempts left", async () => {
    const { job, starts } = failing(() => new UnrecoverableError("account deleted"), 5);
    const { manager, trail } = setup({ jobs: [job], workers: { failing: 1 }, random: () => 0 });
    await manager.start();
    const failed = nextEvent(manager, "failed");
    const { id } = await manager.enqueue(job, {});
    await vi.advanceTimersByTimeAsync(10_000);
    await failed;

    expect(starts).toEqual([1]);
    const stored = await manager.get(id);
    expect(stored).toMatchObject({ state: "failed", attempt: 1, maxAttempts: 5 });
    expect(stored?.error).toMatchObject({ name: "UnrecoverableError" });
    expect(stored?.error?.message).toContain("account deleted");
    expect(trail(id)).toEqual(["enqueued", "active", "failed"]);
    await manager.stop();
  });

  it("the enqueue option `attempts` overrides the job's policy", async () => {
    const { job, starts } = failing(() => new Error("broken"), 5);
    const { manager } = setup({ jobs: [job], workers: { failing: 1 }, random: () => 0 });
    await manager.start();
    const failed = nextEvent(manager, "failed");
    const { id, maxAttempts } = await manager.enqueue(job, {}, { attempts: 2 });
    expect(maxAttempts).toBe(2);
    await vi.advanceTimersByTimeAsync(10_000);
    await failed;

    expect(starts).toEqual([1, 2]);
    expect((await manager.get(id))?.attempts.map((a) => a.outcome)).toEqual(["retry", "failed"]);
    await manager.stop();
  });

  it("`attempts: 1` fails at the first error, without a retry", async () => {
    const { job, starts } = failing(() => new Error("once"), 4);
    const { manager, trail } = setup({ jobs: [job], workers: { failing: 1 } });
    await manager.start();
    const failed = nextEvent(manager, "failed");
    const { id } = await manager.enqueue(job, {}, { attempts: 1 });
    await vi.advanceTimersByTimeAsync(10_000);
    await failed;
    expect(starts).toEqual([1]);
    expect(trail(id)).toEqual(["enqueued", "active", "failed"]);
    await manager.stop();
  });
});
