import { cancel, defineJob, snooze } from "shiftwork";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nextEvent, settle, setup } from "./_harness.js";

const T0 = 1_700_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("handler directives", () => {
  it("snooze(delay) runs the job again after the delay without using an attempt", async () => {
    const seen: number[] = [];
    const poll = defineJob({
      name: "poll",
      input: v.object({}),
      retry: { attempts: 1 },
      run: (_input, ctx) => {
        seen.push(ctx.attempt);
        return seen.length < 3 ? snooze("5s") : "ready";
      },
    });
    const { manager, trail } = setup({ jobs: [poll], workers: { poll: 1 } });
    await manager.start();
    const { id } = await manager.enqueue(poll, {});
    await settle();

    const snoozed = await manager.get(id);
    expect(snoozed).toMatchObject({ state: "waiting", attempt: 0, maxAttempts: 1 });
    expect(snoozed?.runAt).toBe((snoozed?.attempts[0]?.endedAt ?? 0) + 5000);
    expect(seen).toEqual([1]);

    await vi.advanceTimersByTimeAsync(4000);
    expect(seen).toEqual([1]);
    const completed = nextEvent(manager, "completed");
    await vi.advanceTimersByTimeAsync(2000);
    expect(seen).toEqual([1, 1]);
    await vi.advanceTimersByTimeAsync(5000);
    await completed;

    // With one attempt allowed, it ran three times: snoozes do not count.
    expect(seen).toEqual([1, 1, 1]);
    const done = await manager.get(id);
    expect(done).toMatchObject({ state: "completed", output: "ready", attempt: 1 });
    expect(done?.attempts.map((a) => a.outcome)).toEqual(["snoozed", "snoozed", "completed"]);
    expect(trail(id)).toEqual([
      "enqueued",
      "active",
      "snoozed",
      "active",
      "snoozed",
      "active",
      "completed",
    ]);
    await manager.stop();
  });

  it("snooze with a delay past 100 years fails the job for good instead of parking it for ever", async () => {
    const park = defineJob({
      name: "park",
      input: v.object({ delay: v.number() }),
      retry: { attempts: 3 },
      run: ({ delay }) => snooze(delay),
    });
    const { manager, trail } = setup({ jobs: [park], workers: { park: 1 } });
    await manager.start();
    const { id } = await manager.enqueue(park, { delay: 1e20 });
    await settle();
    const failed = await manager.get(id);
    expect(failed).toMatchObject({ state: "failed", attempt: 1 });
    expect(failed?.error?.message).toMatch(/snooze: delay is not a duration/);
    expect(trail(id)).toEqual(["enqueued", "active", "failed"]);
    await manager.stop();
  });

  it("cancel(reason) from a handler ends the job cancelled, with no retry", async () => {
    let starts = 0;
    const maybe = defineJob({
      name: "maybe",
      input: v.object({}),
      retry: { attempts: 3 },
      run: () => {
        starts += 1;
        return cancel("nothing to do");
      },
    });
    const { manager, trail } = setup({ jobs: [maybe], workers: { maybe: 1 } });
    await manager.start();
    const cancelled = nextEvent(manager, "cancelled");
    const { id } = await manager.enqueue(maybe, {});
    await vi.advanceTimersByTimeAsync(60_000);
    const event = await cancelled;

    expect(event.reason).toBe("nothing to do");
    expect(starts).toBe(1);
    const stored = await manager.get(id);
    expect(stored).toMatchObject({ state: "cancelled", cancelReason: "nothing to do" });
    expect(stored?.attempts.map((a) => a.outcome)).toEqual(["cancelled"]);
    expect(trail(id)).toEqual(["enqueued", "active", "cancelled"]);
    await manager.stop();
  });
});
