import { createManager, type JobEvent, type Manager } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { nodeThreadScheduler } from "shiftwork/runtimes/node";
import { afterEach, describe, expect, it } from "vitest";
import * as exampleJobs from "../../examples/jobs.js";
import { sourceExecArgv } from "./_node.js";
import * as threadJobs from "./fixtures/thread-jobs.js";

// biome-ignore lint/suspicious/noExplicitAny: managers of different job modules
let manager: Manager<any> | undefined;
afterEach(async () => {
  await manager?.stop({ graceful: false });
  manager = undefined;
});

/** Records every finished job from the start, so a wait can never miss an event. */
const outcomes = new WeakMap<
  EventTarget,
  Map<string, { event?: JobEvent; wake: (() => void)[] }>
>();
function track(m: EventTarget) {
  const seen = new Map<string, { event?: JobEvent; wake: (() => void)[] }>();
  outcomes.set(m, seen);
  for (const type of ["completed", "failed", "cancelled"]) {
    m.addEventListener(type, (event) => {
      const e = event as JobEvent;
      const entry = seen.get(e.jobId) ?? { wake: [] };
      entry.event = e;
      seen.set(e.jobId, entry);
      for (const wake of entry.wake.splice(0)) wake();
    });
  }
}
async function finished(m: EventTarget, id: string): Promise<JobEvent> {
  const seen = outcomes.get(m) as Map<string, { event?: JobEvent; wake: (() => void)[] }>;
  for (;;) {
    const entry = seen.get(id) ?? { wake: [] };
    seen.set(id, entry);
    if (entry.event) return entry.event;
    await new Promise<void>((resolve) => entry.wake.push(resolve));
  }
}

function threadManager(jobs: Record<string, unknown>, url: URL, workers: Record<string, number>) {
  manager = createManager({
    storage: memoryStorage(),
    scheduler: nodeThreadScheduler({
      jobs: url,
      execArgv: sourceExecArgv,
      resourceLimits: { maxOldGenerationSizeMb: 48 },
    }),
    jobs,
    workers,
    abortGrace: 300,
  });
  track(manager);
  return manager as Manager<Record<string, unknown>>;
}

describe("Node host on worker_threads", () => {
  it("runs the example job module in real threads", async () => {
    const m = threadManager(exampleJobs, new URL("../../examples/jobs.ts", import.meta.url), {
      "email.send": 2,
      "image.resize": 1,
    });
    await m.start();
    const email = await m.enqueue(exampleJobs.sendEmail, { to: "a@example.com", subject: "hi" });
    const image = await m.enqueue(exampleJobs.resizeImage, { width: 40, height: 30 });
    expect((await finished(m, email.id)).type).toBe("completed");
    expect((await finished(m, image.id)).type).toBe("completed");
    expect((await m.get(image.id))?.output).toMatchObject({ width: 40, height: 30 });
  });

  it("a CPU-bound handler past its timeout is failed, its thread replaced, and the host carries on", async () => {
    const m = threadManager(threadJobs, new URL("./fixtures/thread-jobs.ts", import.meta.url), {
      spin: 1,
      ok: 1,
    });
    await m.start();
    const before = (await m.enqueue(threadJobs.ok, { n: 1 })).id;
    const firstThread = ((await finished(m, before)).output as { thread: number }).thread;
    const retrying = new Promise<JobEvent>((resolve) =>
      m.addEventListener("retrying", (e) => resolve(e as JobEvent)),
    );
    const spinning = await m.enqueue(threadJobs.spin, { ms: 60_000 });
    expect((await retrying).error?.message).toMatch(/timed out after 200ms/);
    const outcome = await finished(m, spinning.id);
    expect(outcome.type).toBe("failed");
    expect(outcome.error?.message).toMatch(/timed out after 200ms/);
    const job = await m.get(spinning.id);
    expect(job?.attempts.map((a) => a.outcome)).toEqual(["retry", "failed"]);
    // The spin worker's thread was terminated and replaced; it takes work again.
    const spinWorker = m.workers().find((w) => w.serves === "spin");
    for (let i = 0; i < 100 && !spinWorker?.isIdle; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(spinWorker?.isIdle).toBe(true);
    const quick = await m.enqueue(threadJobs.spin, { ms: 1 });
    expect((await finished(m, quick.id)).type).toBe("completed");
    const after = (await m.enqueue(threadJobs.ok, { n: 2 })).id;
    expect(((await finished(m, after)).output as { thread: number }).thread).toBe(firstThread);
  }, 20_000);

  for (const [name, pattern] of [
    ["crash", /uncaught in the thread/],
    ["exit", /exited with code 3/],
    ["oom", /ERR_WORKER_OUT_OF_MEMORY|out of memory/i],
  ] as const) {
    it(`a thread that dies (${name}) fails only its own job and is replaced`, async () => {
      const m = threadManager(threadJobs, new URL("./fixtures/thread-jobs.ts", import.meta.url), {
        [name]: 1,
        ok: 1,
      });
      const errors: string[] = [];
      m.addEventListener("error", (e) =>
        errors.push(String((e as unknown as { error: unknown }).error)),
      );
      await m.start();
      const bystander = await m.enqueue(threadJobs.ok, { n: 5 });
      const victim = await m.enqueue(name, {} as never);
      const outcome = await finished(m, victim.id);
      expect(outcome.type).toBe("failed");
      expect(outcome.error?.message).toMatch(pattern);
      expect((await finished(m, bystander.id)).type).toBe("completed");
      expect(errors.join("\n")).toMatch(pattern);
      // The dead thread was replaced: the same worker runs the next job.
      const again = await m.enqueue(name, {} as never);
      expect((await finished(m, again.id)).type).toBe("failed");
      const stats = await m.stats();
      expect(stats[0]).toMatchObject({ failed: 2, completed: 1, active: 0 });
    }, 30_000);
  }

  it("pause and resume, per worker and per queue, hold for thread workers", async () => {
    const m = threadManager(threadJobs, new URL("./fixtures/thread-jobs.ts", import.meta.url), {
      ok: 2,
    });
    await m.start();
    const [first, second] = m.workers();
    first?.pause();
    expect(first?.state).toBe("paused");
    const a = await m.enqueue(threadJobs.ok, { n: 1 });
    expect((await finished(m, a.id)).type).toBe("completed");
    expect((await m.get(a.id))?.attempts).toHaveLength(1);
    first?.resume();
    await m.pause("default");
    // A queue's pause is storage's: the Workers stay running, and get none of its jobs.
    expect(m.workers().map((w) => w.state)).toEqual(["running", "running"]);
    const b = await m.enqueue(threadJobs.ok, { n: 2 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await m.get(b.id))?.state).toBe("waiting");
    await m.resume("default");
    expect((await finished(m, b.id)).type).toBe("completed");
    await second?.stop();
    expect(second?.state).toBe("stopped");
    const c = await m.enqueue(threadJobs.ok, { n: 3 });
    expect((await finished(m, c.id)).type).toBe("completed");
    expect(m.workers()[0]?.state).toBe("running");
  }, 20_000);

  it("stop drains the threads and joins them", async () => {
    const m = threadManager(threadJobs, new URL("./fixtures/thread-jobs.ts", import.meta.url), {
      spin: 2,
    });
    await m.start();
    const jobs = [
      await m.enqueue(threadJobs.spin, { ms: 100 }),
      await m.enqueue(threadJobs.spin, { ms: 100 }),
    ];
    await new Promise((r) => m.addEventListener("active", r, { once: true }));
    await m.stop();
    for (const job of jobs) expect((await m.get(job.id))?.state).toBe("completed");
    expect(m.workers().map((w) => w.state)).toEqual(["stopped", "stopped"]);
  }, 20_000);
});
