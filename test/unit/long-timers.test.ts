import { defineJob } from "shiftwork";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { settle, setup } from "./_harness.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const DAY = 86_400_000;
/** Housekeeping days apart, so fake time can run for weeks in a few steps. */
const slowHousekeeping = { lease: "20d", rescueInterval: "20d" } as const;

/** `setTimeout` holds at most 2^31-1 ms (~24.8 days): a longer delay used to fire after 1 ms. */
describe("durations longer than setTimeout holds", () => {
  it("a job's 25-day timeout lets a 300 ms handler finish, and fires after 25 days", async () => {
    const job = defineJob({
      name: "batch",
      input: v.object({ hang: v.boolean() }),
      timeout: "25d",
      retry: { attempts: 1 },
      run: ({ hang }) => new Promise((resolve) => (hang ? undefined : setTimeout(resolve, 300))),
    });
    const { manager } = setup({ jobs: [job], workers: { batch: 2 }, ...slowHousekeeping });
    await manager.start();
    const quick = await manager.enqueue(job, { hang: false });
    const stuck = await manager.enqueue(job, { hang: true });
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await manager.get(quick.id))?.state).toBe("completed");
    await vi.advanceTimersByTimeAsync(25 * DAY - 2_000);
    expect((await manager.get(stuck.id))?.state).toBe("active");
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    const failed = await manager.get(stuck.id);
    expect(failed?.state).toBe("failed");
    expect(failed?.error?.message).toMatch(/timed out after 2160000000ms/);
    await manager.stop({ timeout: 0 });
  });

  it("stop({ timeout: '30d' }) waits for a 2 s job instead of releasing it at once", async () => {
    const job = defineJob({
      name: "slow",
      input: v.object({}),
      run: () => new Promise<string>((resolve) => setTimeout(() => resolve("done"), 2_000)),
    });
    const { manager, trail } = setup({ jobs: [job], workers: { slow: 1 }, ...slowHousekeeping });
    await manager.start();
    const { id } = await manager.enqueue(job, {});
    await settle();
    const stopped = manager.stop({ timeout: "30d" });
    await vi.advanceTimersByTimeAsync(2_000);
    await stopped;
    expect((await manager.get(id))?.state).toBe("completed");
    expect(trail(id)).toEqual(["enqueued", "active", "completed"]);
  });
});
