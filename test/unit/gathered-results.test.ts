import type { JobResult, Manager, Scheduler, Storage } from "shiftwork";
import { createManager, defineJob } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { expect, it } from "vitest";
import { setup } from "./_harness.js";

const noop = defineJob({ name: "noop", input: v.object({ n: v.number() }), run: () => null });

/**
 * The inline scheduler with each context's messages delivered in a macrotask of their own, as a
 * thread's are; `delivered` (when asked for) resolves after the messages queued before it.
 */
function threadLike(delivered: boolean | (() => Promise<void>)): Scheduler {
  const inner = inlineScheduler();
  return {
    name: "thread-like",
    spawn: (options) =>
      inner.spawn({
        ...options,
        onMessage: (message) => setTimeout(() => options.onMessage(message), 0),
      }),
    wakeAt: (time, callback) => inner.wakeAt(time, callback),
    close: () => inner.close?.(),
    ...(delivered === true
      ? { delivered: () => new Promise<void>((r) => setTimeout(r, 0)) }
      : delivered
        ? { delivered }
        : {}),
  };
}

/** The number of results in each write of results (alone or with a claim), in order. */
function writesOf(inner: Storage): { storage: Storage; writes: number[] } {
  const writes: number[] = [];
  const storage = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== "record" && key !== "recordAndClaim") return value;
      return (results: JobResult[], ...rest: unknown[]) => {
        writes.push(results.length);
        return value.apply(target, [results, ...rest]);
      };
    },
  }) as Storage;
  return { storage, writes };
}

/** Starts `manager` paused, enqueues `n` jobs, resumes, and resolves once all `n` completed. */
async function drain(manager: Manager<{ noop: typeof noop }>, n: number): Promise<void> {
  await manager.start();
  await manager.pause();
  for (let i = 0; i < n; i++) await manager.enqueue(noop, { n: i });
  let completed = 0;
  const all = new Promise<void>((resolve) =>
    manager.addEventListener("completed", () => ++completed === n && resolve()),
  );
  await manager.resume();
  await all;
}

for (const [delivered, expected] of [
  [false, [1, 1, 1, 1]],
  [true, [4]],
] as const) {
  it(`results that arrive in separate messages share one write ${delivered ? "when the scheduler says when they are delivered" : "only with delivered (without: one write each)"}`, async () => {
    const { storage, writes } = writesOf(memoryStorage());
    const { manager } = setup({
      jobs: { noop },
      workers: { noop: 4 },
      storage,
      scheduler: threadLike(delivered),
    });
    await drain(manager, 4);
    expect(writes).toEqual(expected);
    await manager.stop();
  });
}

it("a delivered that fails is reported as an error event, and the results are written anyway", async () => {
  const { storage, writes } = writesOf(memoryStorage());
  const manager = createManager({
    jobs: { noop },
    workers: { noop: 2 },
    storage,
    scheduler: threadLike(() => Promise.reject(new Error("boom"))),
  });
  const errors: unknown[] = [];
  manager.addEventListener("error", (event) => errors.push((event as ErrorEvent).error));
  await drain(manager, 2);
  expect(writes.reduce((a, b) => a + b, 0)).toBe(2);
  expect(errors.length).toBeGreaterThan(0);
  expect(String(errors[0])).toMatch(/boom/);
  await manager.stop();
});
