import { defineJob } from "shiftwork";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { gate, settle, setup } from "./_harness.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Two workers of a job whose handlers end when the test opens their gate. */
async function twoWorkers() {
  const gates = new Map<string, ReturnType<typeof gate<string>>>();
  const task = defineJob({
    name: "task",
    input: v.object({}),
    run: (_input, ctx) => {
      const g = gate<string>();
      gates.set(ctx.jobId, g);
      return g.promise;
    },
  });
  const harness = setup({ jobs: [task], workers: { task: 2 } });
  await harness.manager.start();
  const [a, b] = harness.manager.workers();
  if (!a || !b) throw new Error("expected two workers");
  const finish = async (jobId: string | null) => {
    gates.get(jobId ?? "")?.open("done");
    await settle();
  };
  return { ...harness, task, a, b, finish };
}

/** Two workers, the second paused, and a job running on the first. */
async function runningOnA() {
  const workers = await twoWorkers();
  workers.b.pause();
  const first = await workers.manager.enqueue(workers.task, {});
  await settle();
  expect(workers.a.currentJobId).toBe(first.id);
  return { ...workers, first };
}

describe("one worker: pause, resume, stop", () => {
  it("starts running and idle", async () => {
    const { a, manager } = await twoWorkers();
    expect(a.state).toBe("running");
    expect(a.isRunning).toBe(true);
    expect(a.currentJobId).toBeNull();
    expect(a.toJSON()).toEqual({
      id: a.id,
      serves: "task",
      queue: "default",
      state: "running",
      currentJobId: null,
    });
    await manager.stop();
  });

  it("a paused worker takes no job until resumed; the others carry on", async () => {
    const { manager, task, a, b, finish } = await twoWorkers();
    a.pause();
    expect(a.state).toBe("paused");
    expect(a.isRunning).toBe(false);

    const first = await manager.enqueue(task, {});
    const second = await manager.enqueue(task, {});
    await settle();
    expect(a.currentJobId).toBeNull();
    expect(b.currentJobId).toBe(first.id);
    expect((await manager.get(second.id))?.state).toBe("waiting");

    a.resume();
    await settle();
    expect(a.state).toBe("running");
    expect(a.currentJobId).toBe(second.id);
    await finish(first.id);
    await finish(second.id);
    expect((await manager.get(second.id))?.state).toBe("completed");
    await manager.stop();
  });

  it("pausing a busy worker lets its job finish, then it stays idle", async () => {
    const { manager, task, a, b, finish } = await twoWorkers();
    b.pause();
    const first = await manager.enqueue(task, {});
    await settle();
    expect(a.currentJobId).toBe(first.id);

    a.pause();
    const second = await manager.enqueue(task, {});
    await finish(first.id);
    expect((await manager.get(first.id))?.state).toBe("completed");
    expect(a.state).toBe("paused");
    expect(a.currentJobId).toBeNull();
    expect((await manager.get(second.id))?.state).toBe("waiting");
    await manager.stop();
  });

  it("stop resolves once its last job's result is written: its `completed` event has fired", async () => {
    const { manager, a, finish, first: job } = await runningOnA();
    let written = false;
    manager.addEventListener("completed", () => {
      written = true;
    });
    const stopping = a.stop();
    const done = finish(job.id);
    await stopping;
    // Checked at once: a caller that awaited stop() may act on the job straight away (retry it).
    expect({ state: a.state, written }).toEqual({ state: "stopped", written: true });
    await done;
    await manager.stop();
  });

  it("stop: `stopping` while its job runs, then `stopped` for good", async () => {
    const { manager, task, a, b, finish, first } = await runningOnA();

    let stopped = false;
    const stopping = a.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(a.state).toBe("stopping");
    expect(a.isRunning).toBe(false);
    expect(a.currentJobId).toBe(first.id);
    expect(stopped).toBe(false);

    const second = await manager.enqueue(task, {});
    await finish(first.id);
    await stopping;
    expect(a.state).toBe("stopped");
    expect(a.currentJobId).toBeNull();
    expect((await manager.get(first.id))?.state).toBe("completed");

    a.resume();
    a.pause();
    await settle();
    expect(a.state).toBe("stopped");
    expect((await manager.get(second.id))?.state).toBe("waiting");

    b.resume();
    await settle();
    expect(b.currentJobId).toBe(second.id);
    await finish(second.id);
    await manager.stop();
  });
});
