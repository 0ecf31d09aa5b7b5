import { defineJob } from "shiftwork";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { nextEvent, setup } from "./_harness.js";

// A handler's result (or progress) that JSON cannot hold fails the job with an error naming what
// and where; nothing half-serialised is stored.
const cyclic = () => {
  const node: { self?: unknown } = {};
  node.self = node;
  return node;
};
const cases: [string, () => unknown, RegExp][] = [
  ["a function", () => ({ f: () => 1 }), /output\.f: not JSON: a function/],
  ["a cycle", cyclic, /output\.self: not JSON: a cycle/],
  ["a BigInt", () => [1, 2n], /output\[1\]: not JSON: a bigint/],
  ["a Map", () => ({ m: new Map() }), /output\.m: not JSON: a Map instance/],
  ["NaN", () => ({ n: Number.NaN }), /output\.n: not JSON: NaN/],
  ["a symbol at the top", () => Symbol("s"), /output: not JSON: a symbol/],
];

describe("output that JSON cannot hold fails the job with a clear error", () => {
  for (const [what, make, message] of cases) {
    it(what, async () => {
      const job = defineJob({
        name: "bad.output",
        input: v.object({}),
        retry: { attempts: 1 },
        run: () => make() as null,
      });
      const { manager } = setup({ jobs: [job], workers: { "bad.output": 1 } });
      await manager.start();
      const record = await manager.enqueue(job, {});
      const failed = await nextEvent(manager, "failed", (e) => e.jobId === record.id);
      expect(failed.error?.message).toMatch(message);
      const stored = await manager.get(record.id);
      expect(stored).toMatchObject({ state: "failed", output: null });
      expect(stored?.error?.message).toMatch(message);
      await manager.stop();
    });
  }

  it("undefined (no return value) is stored as null, not refused", async () => {
    const job = defineJob({
      name: "no.output",
      input: v.object({}),
      run: () => undefined as never,
    });
    const { manager } = setup({ jobs: [job], workers: { "no.output": 1 } });
    await manager.start();
    const record = await manager.enqueue(job, {});
    await nextEvent(manager, "completed", (e) => e.jobId === record.id);
    expect(await manager.get(record.id)).toMatchObject({ state: "completed", output: null });
    await manager.stop();
  });

  it("progress that JSON cannot hold fails the job too", async () => {
    const job = defineJob({
      name: "bad.progress",
      input: v.object({}),
      retry: { attempts: 1 },
      run: (_input, ctx) => {
        ctx.progress({ n: 1n } as never);
        return null;
      },
    });
    const { manager } = setup({ jobs: [job], workers: { "bad.progress": 1 } });
    await manager.start();
    const record = await manager.enqueue(job, {});
    const failed = await nextEvent(manager, "failed", (e) => e.jobId === record.id);
    expect(failed.error?.message).toMatch(/progress\.n: not JSON: a bigint/);
    await manager.stop();
  });
});
