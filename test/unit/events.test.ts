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

describe("events", () => {
  it("enqueued, active, progress, completed for a job that succeeds; log from ctx.log", async () => {
    const work = defineJob({
      name: "work",
      input: v.object({ n: v.number() }),
      run: ({ n }, ctx) => {
        ctx.progress(50);
        ctx.log("halfway", { n });
        ctx.progress({ done: 1, of: 1 });
        return n + 1;
      },
    });
    const { manager, events, trail } = setup({ jobs: [work], workers: { work: 1 } });
    await manager.start();
    const { id } = await manager.enqueue(work, { n: 1 });
    await settle();

    expect(trail(id).filter((t) => t !== "log")).toEqual([
      "enqueued",
      "active",
      "progress",
      "progress",
      "completed",
    ]);
    const mine = events.filter((e) => e.jobId === id);
    expect(mine.every((e) => e.name === "work" && e.queue === "default")).toBe(true);
    expect(mine.find((e) => e.type === "active")?.attempt).toBe(1);
    expect(mine.filter((e) => e.type === "progress").map((e) => e.progress)).toEqual([
      50,
      { done: 1, of: 1 },
    ]);
    expect(mine.find((e) => e.type === "completed")?.output).toBe(2);

    const logs = mine.filter((e) => e.type === "log");
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ message: "halfway", data: { n: 1 }, attempt: 1 });
    expect((await manager.get(id))?.progress).toEqual({ done: 1, of: 1 });
    await manager.stop();
  });

  it("enqueued, active, retrying, active, failed for a job that keeps failing", async () => {
    const bad = defineJob({
      name: "bad",
      input: v.object({}),
      retry: { attempts: 2, backoff: { type: "fixed", base: 100 } },
      run: (_input, ctx) => {
        throw new Error(`attempt ${ctx.attempt} failed`);
      },
    });
    const { manager, events, trail } = setup({
      jobs: [bad],
      workers: { bad: 1 },
      random: () => 0,
    });
    await manager.start();
    const { id } = await manager.enqueue(bad, {});
    await vi.advanceTimersByTimeAsync(1000);

    expect(trail(id)).toEqual(["enqueued", "active", "retrying", "active", "failed"]);
    const retrying = events.find((e) => e.type === "retrying");
    expect(retrying?.error?.message).toBe("attempt 1 failed");
    const firstEnded = (await manager.get(id))?.attempts[0]?.endedAt ?? Number.NaN;
    expect(retrying?.runAt).toBe(firstEnded + 100);
    const failed = events.find((e) => e.type === "failed");
    expect(failed).toMatchObject({ attempt: 2 });
    expect(failed?.error?.message).toBe("attempt 2 failed");
    expect(events.filter((e) => e.type === "active").map((e) => e.attempt)).toEqual([1, 2]);
    await manager.stop();
  });

  it("an enqueue that returns an existing keyed job dispatches no event", async () => {
    const work = defineJob({ name: "work", input: v.object({}), run: () => null });
    const { manager, trail } = setup({ jobs: [work], workers: { work: 1 } });
    await manager.enqueue(work, {}, { key: "k" });
    await manager.enqueue(work, {}, { key: "k" });
    expect(trail()).toEqual(["enqueued"]);
  });
});
