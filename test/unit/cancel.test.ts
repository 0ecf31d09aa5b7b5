import { defineJob, JobNotFoundError, JobStateError } from "shiftwork";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { gate, settle, setup } from "./_harness.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("cancel", () => {
  it("cancels a waiting job, which then never runs", async () => {
    let starts = 0;
    const work = defineJob({
      name: "work",
      input: v.object({}),
      run: () => {
        starts += 1;
      },
    });
    const { manager, trail } = setup({ jobs: [work], workers: { work: 1 } });
    const { id } = await manager.enqueue(work, {}, { delay: "1m" });
    const cancelled = await manager.cancel(id, "no longer needed");
    expect(cancelled).toMatchObject({ state: "cancelled", cancelReason: "no longer needed" });

    await manager.start();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(starts).toBe(0);
    expect(await manager.get(id)).toMatchObject({ state: "cancelled", attempt: 0 });
    expect(trail(id)).toEqual(["enqueued", "cancelled"]);
    await manager.stop();
  });

  it("aborts an active job's signal, records it cancelled, and refuses its late result", async () => {
    const finish = gate<string>();
    const reasons: unknown[] = [];
    const work = defineJob({
      name: "work",
      input: v.object({}),
      run: (_input, ctx) => {
        ctx.signal.addEventListener("abort", () => reasons.push(ctx.signal.reason));
        // Ignores the abort and answers later, as a handler stuck in a call might.
        return finish.promise;
      },
    });
    const { manager, trail } = setup({ jobs: [work], workers: { work: 1 } });
    await manager.start();
    const { id } = await manager.enqueue(work, {});
    await settle();
    expect((await manager.get(id))?.state).toBe("active");

    await manager.cancel(id, "user asked");
    await settle();
    expect(reasons).toHaveLength(1);
    expect((reasons[0] as Error).message).toMatch(/cancelled/);
    expect(await manager.get(id)).toMatchObject({ state: "cancelled", cancelReason: "user asked" });

    finish.open("late result");
    await settle();
    const stored = await manager.get(id);
    expect(stored).toMatchObject({ state: "cancelled", output: null });
    expect(stored?.attempts.map((a) => a.outcome)).toEqual(["cancelled"]);
    expect(trail(id)).not.toContain("completed");
    expect(trail(id).filter((t) => t === "cancelled")).toHaveLength(1);
    await manager.stop();
  });

  it("refuses to cancel a finished job, or one that does not exist, changing nothing", async () => {
    const work = defineJob({ name: "work", input: v.object({}), run: () => "done" });
    const { manager } = setup({ jobs: [work], workers: { work: 1 } });
    await manager.start();
    const { id } = await manager.enqueue(work, {});
    await settle();
    await expect(manager.cancel(id)).rejects.toBeInstanceOf(JobStateError);
    await expect(manager.cancel("404")).rejects.toBeInstanceOf(JobNotFoundError);
    expect(await manager.get(id)).toMatchObject({ state: "completed", output: "done" });
    await manager.stop();
  });
});
