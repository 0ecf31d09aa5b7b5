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
