// The thread pool behind the Node and Bun thread Schedulers, over fake threads: placement,
// batching, routing and who learns of a thread's end. The real-thread cases are in
// test/runtimes/_shared-threads.ts.
import type { ErrorInfo, FromContext, SpawnOptions, ToContext } from "shiftwork";
import { describe, expect, it } from "vitest";
import { type ThreadEvents, threadPool } from "../../src/host/thread-pool.js";

interface Fake {
  label: string;
  events: ThreadEvents;
  posts: ToContext[][];
  terminated: boolean;
}

function setup(threads: number | undefined) {
  const started: Fake[] = [];
  const pool = threadPool({
    threads,
    exitError: (reason) => ({ name: "ThreadExit", message: `thread ${reason}` }),
    start: async (label, events) => {
      const fake: Fake = { label, events, posts: [], terminated: false };
      started.push(fake);
      return {
        post: (batch) => fake.posts.push(batch),
        terminate: () => {
          fake.terminated = true;
        },
      };
    },
  });
  const spawn = async (workerId: string) => {
    const received: FromContext[] = [];
    const exits: ErrorInfo[] = [];
    const options: SpawnOptions = {
      workerId,
      jobs: new Map(),
      onMessage: (message) => received.push(message),
      onExit: (error) => exits.push(error),
    };
    return { context: await pool.spawn(options), received, exits };
  };
  return { pool, started, spawn };
}

const run = (id: string): ToContext => ({
  type: "run",
  job: { id, token: `t-${id}`, name: "x", input: null, attempt: 1, maxAttempts: 1 },
});
const done = (id: string): FromContext => ({
  type: "done",
  id,
  token: `t-${id}`,
  outcome: { kind: "completed", output: null },
});
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("threadPool", () => {
  it("without threads, every context has a thread of its own, named after its Worker", async () => {
    const { started, spawn } = setup(undefined);
    for (const id of ["a#1", "a#2", "b#1"]) await spawn(id);
    expect(started.map((t) => t.label)).toEqual(["a#1", "a#2", "b#1"]);
  });

  it("with threads: 2, five contexts go to the least-loaded of two threads", async () => {
    const { started, spawn } = setup(2);
    const contexts = [];
    for (let i = 0; i < 5; i++) contexts.push(await spawn(`w#${i}`));
    expect(started).toHaveLength(2);
    for (const [i, { context }] of contexts.entries()) context.send(run(String(i)));
    await tick();
    // One postMessage per thread for the whole tick, whichever contexts sent.
    expect(started.map((t) => t.posts.map((batch) => batch.length))).toEqual([[3], [2]]);
  });

  it("once closed, it starts no thread: a spawn after close, or one still waiting for its thread, is refused", async () => {
    const { pool, started, spawn } = setup(undefined);
    await spawn("a");
    // This spawn's thread is still loading when the pool closes.
    const waiting = spawn("b");
    await pool.close();
    await expect(waiting).rejects.toThrow(/closed/);
    await expect(spawn("c")).rejects.toThrow(/closed/);
    await tick();
    expect(started.map((t) => [t.label, t.terminated])).toEqual([
      ["a", true],
      ["b", true],
    ]);
  });

  it("routes each reply to the context that sent the job", async () => {
    const { started, spawn } = setup(1);
    const a = await spawn("a");
    const b = await spawn("b");
    a.context.send(run("1"));
    b.context.send(run("2"));
    const thread = started[0] as Fake;
    thread.events.message([
      done("2"),
      { type: "log", id: "1", token: "t-1", message: "hi" },
      done("1"),
      done("1"),
      done("unknown"),
    ]);
    expect(a.received.map((m) => m.type)).toEqual(["log", "done"]);
    expect(b.received).toEqual([done("2")]);
  });

  it("a thread that dies tells every context on it once; the next spawn starts a new thread", async () => {
    const { started, spawn } = setup(2);
    const on = [await spawn("a"), await spawn("b"), await spawn("c")];
    const error = { name: "ThreadExit", message: "thread exited with code 3" };
    (started[0] as Fake).events.exit(error);
    (started[0] as Fake).events.exit(error);
    expect(on.map((c) => c.exits)).toEqual([[error], [], [error]]);
    await spawn("a");
    expect(started).toHaveLength(3);
  });

  it("terminating an idle context leaves its thread to the others; the last one ends it", async () => {
    const { started, spawn } = setup(1);
    const a = await spawn("a");
    const b = await spawn("b");
    a.context.send(run("1"));
    (started[0] as Fake).events.message([done("1")]);
    await a.context.terminate();
    expect(started[0]?.terminated).toBe(false);
    b.context.send(run("2"));
    await tick();
    expect(started[0]?.posts.at(-1)).toEqual([run("2")]);
    await b.context.terminate();
    expect(started[0]?.terminated).toBe(true);
    expect([a.exits, b.exits]).toEqual([[], []]);
  });

  it("terminating a context whose handler still runs ends the thread, and only the others hear of it", async () => {
    const { started, spawn } = setup(1);
    const stuck = await spawn("stuck#1");
    const other = await spawn("other#1");
    stuck.context.send(run("1"));
    other.context.send(run("2"));
    await stuck.context.terminate();
    expect(started[0]?.terminated).toBe(true);
    await tick();
    expect(stuck.exits).toEqual([]);
    expect(other.exits).toEqual([
      {
        name: "ThreadExit",
        message: "thread terminated to stop a handler of stuck#1 that shared it",
      },
    ]);
    // Late replies of the dead thread reach nobody; a new context gets a new thread.
    (started[0] as Fake).events.message([done("2")]);
    expect(other.received).toEqual([]);
    await spawn("stuck#1");
    expect(started).toHaveLength(2);
  });

  it("the longest-running job's thread is the memory culprit", async () => {
    let clock = 0;
    const started: Fake[] = [];
    const pool = threadPool({
      threads: 2,
      now: () => clock,
      exitError: (reason) => ({ name: "WorkerExit", message: `worker ${reason}` }),
      start: async (label, events) => {
        const fake: Fake = { label, events, posts: [], terminated: false };
        started.push(fake);
        return {
          post: () => {},
          terminate: () => {
            fake.terminated = true;
          },
        };
      },
    });
    const exits: string[] = [];
    const spawn = (workerId: string) =>
      pool.spawn({
        workerId,
        jobs: new Map(),
        onMessage: () => {},
        onExit: (error) => exits.push(`${workerId}: ${error.message}`),
      });
    const [a, b] = [await spawn("a"), await spawn("b")];
    expect(pool.killLongestBusy("too big")).toBe(false);
    clock = 10;
    b.send(run("1"));
    clock = 20;
    a.send(run("2"));
    expect(pool.killLongestBusy("too big")).toBe(true);
    expect(started.map((t) => t.terminated)).toEqual([false, true]);
    expect(exits).toEqual(["b: worker terminated: too big"]);
  });

  it("close ends every thread and tells no context", async () => {
    const { pool, started, spawn } = setup(2);
    const on = [await spawn("a"), await spawn("b"), await spawn("c")];
    on[0]?.context.send(run("1"));
    await pool.close();
    expect(started.map((t) => t.terminated)).toEqual([true, true]);
    for (const thread of started) thread.events.exit({ name: "ThreadExit", message: "bye" });
    expect(on.flatMap((c) => c.exits)).toEqual([]);
  });

  it("a thread that fails to load fails the spawns waiting on it, and the next spawn starts afresh", async () => {
    let attempts = 0;
    const pool = threadPool({
      threads: 1,
      exitError: (reason) => ({ name: "ThreadExit", message: `thread ${reason}` }),
      start: async () => {
        if (++attempts === 1) throw new Error("syntax error in the job module");
        return { post: () => {}, terminate: () => {} };
      },
    });
    const options = (workerId: string): SpawnOptions => ({
      workerId,
      jobs: new Map(),
      onMessage: () => {},
      onExit: () => {},
    });
    const results = await Promise.allSettled([pool.spawn(options("a")), pool.spawn(options("b"))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    await pool.spawn(options("a"));
    expect(attempts).toBe(2);
  });

  it("rejects a threads option that is not a positive integer", () => {
    for (const threads of [0, -1, 1.5, Number.NaN]) {
      expect(() => setup(threads)).toThrow(/threads: expected a positive integer/);
    }
  });
});
