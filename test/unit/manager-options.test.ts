import { createManager, defineJob, ValidationError } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { describe, expect, it } from "vitest";

const ping = defineJob({ name: "ping", input: v.object({}), run: () => "pong" });

/** Builds a Manager with `workers`; returns the error it throws and the untouched storage. */
async function tryWorkers(workers: Record<string, number>) {
  const storage = memoryStorage();
  let error: unknown;
  try {
    createManager({ storage, scheduler: inlineScheduler(), jobs: [ping], workers });
  } catch (e) {
    error = e;
  }
  const now = Date.now();
  const after = { stats: await storage.stats(now), list: await storage.list({ limit: 10 }) };
  return { error: error as ValidationError, after };
}

describe("createManager({ workers }) rejects bad counts, naming `workers.<key>`", () => {
  it.each([
    ["negative", -1],
    ["non-integer", 1.5],
    ["not a number", Number.NaN],
  ])("a %s count", async (_label, count) => {
    const { error, after } = await tryWorkers({ ping: 1, default: count });
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((i) => i.path)).toEqual(["workers.default"]);
    expect(error.message).toContain("workers.default");
    expect(after).toEqual({ stats: [], list: { jobs: [], nextCursor: null } });
  });

  it("a key that is neither a job name nor a queue name", async () => {
    const { error } = await tryWorkers({ "no such job!": 1 });
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((i) => i.path)).toEqual(["workers.no such job!"]);
  });

  it("a missing storage or scheduler", () => {
    const bad = { jobs: [ping], workers: { ping: 1 } } as never;
    expect(() => createManager(bad)).toThrow(/storage: expected a Storage/);
    expect(() => createManager(bad)).toThrow(/scheduler: expected a Scheduler/);
  });
});

describe("createManager rejects a lease or heartbeat that is not a whole number of ms ≥ 1", () => {
  it.each([
    ["lease", 0],
    ["lease", "0ms"],
    ["lease", 1.5],
    ["heartbeat", 0],
  ])("%s: %s", (field, value) => {
    const make = () =>
      createManager({
        storage: memoryStorage(),
        scheduler: inlineScheduler(),
        jobs: [ping],
        workers: { ping: 1 },
        [field]: value,
      });
    expect(make).toThrow(ValidationError);
    expect(make).toThrow(new RegExp(`${field}.*whole number of milliseconds`));
  });

  it("accepts a duration string of whole milliseconds", () => {
    expect(() =>
      createManager({
        storage: memoryStorage(),
        scheduler: inlineScheduler(),
        jobs: [ping],
        workers: { ping: 1 },
        lease: "1.5s",
        heartbeat: "500ms",
      }),
    ).not.toThrow();
  });
});

describe("manager.list checks its filters, naming each", () => {
  const manager = createManager({
    storage: memoryStorage(),
    scheduler: inlineScheduler(),
    jobs: [ping],
    workers: {},
  });

  it.each([
    [{ state: "stuck" }, "state", /Expected \("waiting" \| .*\) but received "stuck"/],
    [{ limit: 0 }, "limit", /Expected >=1/],
    [{ cursor: "abc" }, "cursor", /^expected a cursor: the nextCursor of the previous page$/],
    [{ cursor: -1 }, "cursor", /Expected >=0/],
  ])("%j", async (options, path, message) => {
    const error = (await manager
      .list(options as never)
      .catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it("a cursor as digits, as a URL carries it, is a cursor", async () => {
    await expect(manager.list({ cursor: "12" })).resolves.toEqual({ jobs: [], nextCursor: null });
  });
});

describe("bad options reject, never throw at the call", () => {
  const fresh = () =>
    createManager({
      storage: memoryStorage(),
      scheduler: inlineScheduler(),
      jobs: [ping],
      workers: {},
    });

  it("stop with an unknown option is a rejected promise naming it", async () => {
    let returned: Promise<void> | undefined;
    expect(() => {
      returned = fresh().stop({ graceful: "yes" } as never);
    }).not.toThrow();
    await expect(returned).rejects.toThrow(/stop options: graceful: /);
  });

  it("list with a bad filter is a rejected promise", () => {
    let returned: Promise<unknown> | undefined;
    expect(() => {
      returned = fresh().list({ limit: -1 });
    }).not.toThrow();
    return expect(returned).rejects.toThrow(/list options: limit: /);
  });
});

describe("createManager names every problem of the job definitions at once", () => {
  it("a bad retry, timeout and queue, in two jobs: one ValidationError with each path", () => {
    const jobs = [
      defineJob({
        name: "a",
        input: v.object({}),
        retry: { attempts: 0 },
        timeout: "forever" as never,
        run: () => null,
      }),
      defineJob({ name: "b", input: v.object({}), queue: "bad name", run: () => null }),
    ];
    let error: unknown;
    try {
      createManager({ storage: memoryStorage(), scheduler: inlineScheduler(), jobs, workers: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: "jobs.a.retry.attempts", message: expect.any(String) },
      {
        path: "jobs.a.timeout",
        message:
          'expected a duration above 0, up to 100 years: milliseconds, or a string like "30s"',
      },
      { path: "jobs.b.queue", message: expect.stringMatching(/letters, digits/) },
    ]);
  });
});
