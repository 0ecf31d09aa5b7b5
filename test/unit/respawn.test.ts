// A Worker whose context died, or was replaced after its handler would not return, gets a new
// context even when spawning it fails for a while: without one it is never idle again, and the
// Manager would quietly run with one Worker fewer.
import {
  createManager,
  defineJob,
  type ExecutionContext,
  type ManagerErrorEvent,
  type Scheduler,
  type SpawnOptions,
} from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { settle } from "./_harness.js";

const T0 = 1_700_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const tick = defineJob({ name: "tick", input: v.object({}), run: async () => {} });

/** A started Manager with one `tick` Worker on `scheduler`, noting its error events. */
async function started(scheduler: Scheduler) {
  const manager = createManager({
    storage: memoryStorage(),
    scheduler,
    jobs: [tick],
    workers: { tick: 1 },
  });
  const errors: string[] = [];
  manager.addEventListener("error", (event) => {
    const { during, error } = event as ManagerErrorEvent;
    errors.push(`${during}: ${(error as Error).message}`);
  });
  await manager.start();
  await settle();
  return { manager, errors };
}

/** The inline scheduler, whose next `failures` spawns throw, and which can end a context. */
function flakyScheduler() {
  const inner = inlineScheduler();
  const spawned: SpawnOptions[] = [];
  const state = { failures: 0, spawns: 0 };
  const scheduler: Scheduler = {
    ...inner,
    spawn(options) {
      state.spawns++;
      if (state.failures > 0) {
        state.failures--;
        throw new Error("no thread to be had");
      }
      spawned.push(options);
      return inner.spawn(options);
    },
  };
  /** Ends the last context as if its thread had died. */
  const kill = () => spawned.at(-1)?.onExit({ name: "Error", message: "thread died" });
  return { scheduler, state, kill };
}

it("a context that died is replaced after two failed spawns, 100 and 200 ms apart, and its Worker takes jobs again", async () => {
  const { scheduler, state, kill } = flakyScheduler();
  const { manager, errors } = await started(scheduler);
  expect(state.spawns).toBe(1);
  state.failures = 2;
  kill();
  await settle();
  const { id } = await manager.enqueue(tick, {});
  await settle();
  expect((await manager.get(id))?.state).toBe("waiting");
  await vi.advanceTimersByTimeAsync(99);
  expect(state.spawns).toBe(2);
  await vi.advanceTimersByTimeAsync(1);
  expect(state.spawns).toBe(3);
  await vi.advanceTimersByTimeAsync(200);
  await settle();
  expect(state.spawns).toBe(4);
  expect((await manager.get(id))?.state).toBe("completed");
  expect(errors).toEqual([
    "execution context: [shiftwork] worker tick#1 exited: thread died",
    "spawn: no thread to be had",
    "spawn: no thread to be had",
  ]);
  await manager.stop();
});

it("a stop ends the tries", async () => {
  const { scheduler, state, kill } = flakyScheduler();
  const { manager } = await started(scheduler);
  state.failures = 100;
  kill();
  await settle();
  await manager.stop();
  await vi.advanceTimersByTimeAsync(60_000);
  expect(state.spawns).toBe(2);
});

/** Spawn 1 works, spawn 2 throws, spawn 3 loads until `load()` (a thread still starting). */
function slowRetryScheduler() {
  const inner = inlineScheduler();
  const spawned: SpawnOptions[] = [];
  const terminated: number[] = [];
  let spawns = 0;
  let load = () => {};
  const scheduler: Scheduler = {
    ...inner,
    spawn(options) {
      const n = ++spawns;
      if (n === 2) throw new Error("no thread to be had");
      spawned.push(options);
      const watched = (context: ExecutionContext): ExecutionContext => ({
        send: (message) => context.send(message),
        terminate: () => {
          terminated.push(n);
          return context.terminate();
        },
      });
      if (n !== 3) return Promise.resolve(inner.spawn(options)).then(watched);
      return new Promise<ExecutionContext>((resolve) => {
        load = () => resolve(Promise.resolve(inner.spawn(options)).then(watched));
      });
    },
  };
  const kill = () => spawned.at(-1)?.onExit({ name: "Error", message: "thread died" });
  return { scheduler, terminated, kill, load: () => load(), spawns: () => spawns };
}

it("a replacement that finishes loading after stop is terminated, not left running", async () => {
  const flaky = slowRetryScheduler();
  const { manager } = await started(flaky.scheduler);
  flaky.kill();
  await settle();
  await vi.advanceTimersByTimeAsync(100);
  expect(flaky.spawns()).toBe(3);
  await manager.stop();
  flaky.load();
  await settle();
  // The dead context 1 needs no terminate; the late one does.
  expect(flaky.terminated).toEqual([3]);
});

it("stop leaves no retry timer behind", async () => {
  const flaky = slowRetryScheduler();
  const { manager } = await started(flaky.scheduler);
  flaky.kill();
  await settle();
  await manager.stop();
  expect(vi.getTimerCount()).toBe(0);
});

/**
 * The inline scheduler for the first `working` spawns; each later spawn loads until `fail()`,
 * which rejects it with `message`.
 */
function lateFailingScheduler(working: number, message: string) {
  const inner = inlineScheduler();
  const spawned: SpawnOptions[] = [];
  let spawns = 0;
  let fail = () => {};
  const scheduler: Scheduler = {
    ...inner,
    spawn(options) {
      if (++spawns <= working) {
        spawned.push(options);
        return inner.spawn(options);
      }
      return new Promise<ExecutionContext>((_, reject) => {
        fail = () => reject(new Error(message));
      });
    },
  };
  return { scheduler, spawned, spawns: () => spawns, fail: () => fail() };
}

it("a replacement refused because the Manager stopped meanwhile is no error and no new try", async () => {
  // Still loading when stop closes the scheduler, which then refuses it (as the thread pool does).
  const late = lateFailingScheduler(1, "the scheduler is closed");
  const { manager, errors } = await started(late.scheduler);
  late.spawned[0]?.onExit({ name: "Error", message: "thread died" });
  await settle();
  expect(late.spawns()).toBe(2);
  await manager.stop();
  late.fail();
  await vi.advanceTimersByTimeAsync(60_000);
  expect(errors).toEqual(["execution context: [shiftwork] worker tick#1 exited: thread died"]);
  expect(late.spawns()).toBe(2);
});

it("a replacement that fails while a graceful stop waits for running jobs is still an error, and not tried again", async () => {
  const late = lateFailingScheduler(2, "no thread to be had");
  let release = () => {};
  const held = defineJob({
    name: "held",
    input: v.object({}),
    run: () =>
      new Promise<void>((resolve) => {
        release = resolve;
      }),
  });
  const manager = createManager({
    storage: memoryStorage(),
    scheduler: late.scheduler,
    jobs: [tick, held],
    workers: { held: 1, tick: 1 },
  });
  const errors: string[] = [];
  manager.addEventListener("error", (event) => {
    const { during, error } = event as ManagerErrorEvent;
    errors.push(`${during}: ${(error as Error).message}`);
  });
  await manager.start();
  await manager.enqueue(held, {});
  await settle();
  // The tick Worker's context dies; its replacement is still loading when stop begins.
  late.spawned
    .find((s) => s.workerId.startsWith("tick"))
    ?.onExit({ name: "Error", message: "died" });
  await settle();
  const stopping = manager.stop({ graceful: true, timeout: 10_000 });
  await settle();
  late.fail();
  await settle();
  release();
  await vi.advanceTimersByTimeAsync(60_000);
  await stopping;
  expect(errors).toEqual([
    "execution context: [shiftwork] worker tick#1 exited: died",
    "spawn: no thread to be had",
  ]);
  expect(late.spawns()).toBe(3);
});
