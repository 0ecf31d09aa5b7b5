import { collectJobs, defineJob } from "shiftwork";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { setup } from "./_harness.js";

const a = defineJob({ name: "a", input: v.object({}), run: () => "a" });
const b = defineJob({ name: "b", input: v.object({}), run: () => "b" });

describe("job modules", () => {
  it("named exports of definitions count; other exports are ignored", () => {
    expect([...collectJobs({ a, b, helper: () => 1, VERSION: "1" }).keys()]).toEqual(["a", "b"]);
  });

  it("a default export holding an array of definitions counts", async () => {
    const module = { default: [a, b] };
    expect([...collectJobs(module).keys()]).toEqual(["a", "b"]);
    const { manager } = setup({ jobs: module, workers: { a: 1 } });
    await manager.start();
    const job = await manager.enqueue("a", {});
    expect(job.name).toBe("a");
    await manager.stop();
  });

  it("two definitions with one name are an error", () => {
    const twin = defineJob({ name: "a", input: v.object({}), run: () => "other" });
    expect(() => collectJobs({ a, twin })).toThrow(/two definitions named "a"/);
    expect(() => setup({ jobs: [a, twin], workers: {} })).toThrow(/two definitions named "a"/);
  });
});
