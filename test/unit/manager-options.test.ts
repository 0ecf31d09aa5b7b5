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
