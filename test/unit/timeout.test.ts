import { defineJob, TimeoutError } from "shiftwork";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nextEvent, settle, setup } from "./_harness.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("timeouts", () => {
  it("aborts the signal with a TimeoutError, fails the attempt, then retries", async () => {
    const reasons: unknown[] = [];
    const slow = defineJob({
      name: "slow",
      input: v.object({}),
      timeout: "1s",
      retry: { attempts: 2, backoff: { type: "fixed", base: 500, jitter: 0 } },
      run: (_input, ctx) =>
        ctx.attempt === 2
          ? "fast enough"
          : new Promise<string>((resolve) => {
              ctx.signal.addEventListener("abort", () => {
                reasons.push(ctx.signal.reason);
                // A result after the timeout must not count.
                resolve("too late");
              });
            }),
    });
    const { manager, trail } = setup({ jobs: [slow], workers: { slow: 1 } });
    await manager.start();
    const { id } = await manager.enqueue(slow, {});
    await settle();

    await vi.advanceTimersByTimeAsync(999);
    expect(reasons).toEqual([]);
    expect((await manager.get(id))?.state).toBe("active");

    const retrying = nextEvent(manager, "retrying");
    await vi.advanceTimersByTimeAsync(1);
    const event = await retrying;
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(TimeoutError);
    expect(event.error?.message).toMatch(/timed out after 1000ms/);

    const completed = nextEvent(manager, "completed");
    await vi.advanceTimersByTimeAsync(600);
    await completed;
    const stored = await manager.get(id);
    expect(stored).toMatchObject({ state: "completed", output: "fast enough", attempt: 2 });
    const [first] = stored?.attempts ?? [];
    expect(first?.outcome).toBe("retry");
    expect(first?.error).toMatchObject({ name: "TimeoutError" });
    expect(first?.error?.message).toContain("timed out");
    expect(trail(id)).toEqual(["enqueued", "active", "retrying", "active", "completed"]);
    await manager.stop();
  });

  it("fails the job when the timed-out attempt was its last", async () => {
    const hang = defineJob({
      name: "hang",
      input: v.object({}),
      timeout: 50,
      retry: { attempts: 1 },
      run: () => new Promise<never>(() => {}),
    });
    const { manager } = setup({ jobs: [hang], workers: { hang: 1 } });
    await manager.start();
    const failed = nextEvent(manager, "failed");
    const { id } = await manager.enqueue(hang, {});
    await vi.advanceTimersByTimeAsync(100);
    await failed;
    const stored = await manager.get(id);
    expect(stored?.state).toBe("failed");
    expect(stored?.error?.message).toContain("timed out after 50ms");
    // The handler ignores its signal: its worker takes no other job until the abort grace (5s)
    // ends, then its execution context is replaced and the worker is free again.
    expect(manager.workers()[0]?.currentJobId).toBe(id);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(manager.workers()[0]?.currentJobId).toBeNull();
    expect(manager.workers()[0]?.isIdle).toBe(true);
    await manager.stop();
  });
});
