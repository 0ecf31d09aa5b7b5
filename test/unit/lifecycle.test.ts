import { defineJob } from "shiftwork";
import * as v from "valibot";
import { afterEach, describe, expect, it } from "vitest";
import { countEvents, gate, nextEvent, setup } from "./_harness.js";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe("job life cycle", () => {
  it("goes waiting → active → completed and stores the handler's output", async () => {
    const release = gate();
    const double = defineJob({
      name: "double",
      input: v.object({ n: v.number() }),
      run: async ({ n }) => {
        await release.promise;
        return { doubled: n * 2 };
      },
    });
    const { manager } = setup({ jobs: [double], workers: { double: 1 } });
    const job = await manager.enqueue(double, { n: 21 });
    expect(job.state).toBe("waiting");
    expect(job.attempt).toBe(0);

    const active = nextEvent(manager, "active");
    await manager.start();
    stops.push(() => manager.stop());
    await active;
    const running = await manager.get(job.id);
    expect(running?.state).toBe("active");
    expect(running?.attempt).toBe(1);

    const completed = nextEvent(manager, "completed");
    release.open();
    await completed;
    const done = await manager.get(job.id);
    expect(done?.state).toBe("completed");
    expect(done?.output).toEqual({ doubled: 42 });
    expect(done?.finishedAt).not.toBeNull();
    expect(done?.leaseToken).toBeNull();
  });

  it("keeps each attempt's start, end, outcome and error on a completed job", async () => {
    let calls = 0;
    const flaky = defineJob({
      name: "flaky",
      input: v.object({}),
      retry: { attempts: 3, backoff: { type: "fixed", base: 0, jitter: 0 } },
      run: () => {
        calls += 1;
        if (calls === 1) throw new Error("first try breaks");
        return "ok";
      },
    });
    const { manager } = setup({ jobs: [flaky], workers: { flaky: 1 } });
    await manager.start();
    stops.push(() => manager.stop());
    const completed = nextEvent(manager, "completed");
    const job = await manager.enqueue(flaky, {});
    await completed;

    const done = await manager.get(job.id);
    expect(done?.state).toBe("completed");
    expect(done?.attempts).toHaveLength(2);
    const [first, second] = done?.attempts ?? [];
    expect(first).toMatchObject({ attempt: 1, outcome: "retry" });
    expect(first?.error?.message).toBe("first try breaks");
    expect(first?.error?.stack).toContain("first try breaks");
    expect(first?.endedAt).toBeGreaterThanOrEqual(first?.startedAt ?? Number.NaN);
    expect(second).toMatchObject({ attempt: 2, outcome: "completed", error: null });
    expect(second?.startedAt).toBeGreaterThanOrEqual(first?.endedAt ?? Number.NaN);
    expect(second?.endedAt).toBeGreaterThanOrEqual(second?.startedAt ?? Number.NaN);
  });

  it("keeps every attempt's error, message and stack, on a failed job", async () => {
    let calls = 0;
    const broken = defineJob({
      name: "broken",
      input: v.object({}),
      retry: { attempts: 2, backoff: { type: "fixed", base: 0, jitter: 0 } },
      run: () => {
        calls += 1;
        throw new RangeError(`failure ${calls}`);
      },
    });
    const { manager } = setup({ jobs: [broken], workers: { broken: 1 } });
    await manager.start();
    stops.push(() => manager.stop());
    const failed = nextEvent(manager, "failed");
    const job = await manager.enqueue(broken, {});
    await failed;

    const done = await manager.get(job.id);
    expect(done?.state).toBe("failed");
    expect(done?.error).toMatchObject({ name: "RangeError", message: "failure 2" });
    expect(done?.attempts.map((a) => [a.attempt, a.outcome, a.error?.message])).toEqual([
      [1, "retry", "failure 1"],
      [2, "failed", "failure 2"],
    ]);
    for (const attempt of done?.attempts ?? []) {
      expect(attempt.error?.stack).toMatch(/RangeError: failure \d/);
      expect(attempt.endedAt).not.toBeNull();
    }
  });

  it("starts each handler exactly once when nothing fails (200 jobs, 4 workers)", async () => {
    const starts = new Map<number, number>();
    const count = defineJob({
      name: "count",
      input: v.object({ i: v.number() }),
      run: async ({ i }) => {
        starts.set(i, (starts.get(i) ?? 0) + 1);
        await Promise.resolve();
        return i;
      },
    });
    const { manager } = setup({ jobs: [count], workers: { count: 4 } });
    await manager.start();
    stops.push(() => manager.stop());
    const all = countEvents(manager, "completed", 200);
    await manager.enqueueMany(
      Array.from({ length: 200 }, (_, i) => ({ name: "count", input: { i } })),
    );
    await all;

    expect(starts.size).toBe(200);
    expect([...starts.values()].every((n) => n === 1)).toBe(true);
    const [stats] = await manager.stats();
    expect(stats).toMatchObject({ queue: "default", completed: 200, waiting: 0, active: 0 });
    const page = await manager.list({ state: "completed", limit: 1000 });
    expect(page.jobs.every((j) => j.attempts.length === 1 && j.attempt === 1)).toBe(true);
  });
});
