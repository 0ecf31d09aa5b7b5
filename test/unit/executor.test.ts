import { defineJob } from "shiftwork";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { createExecutor } from "../../src/host/executor.js";
import type { FromContext } from "../../src/ports.js";

const run = (id: string) => ({
  type: "run" as const,
  job: { id, token: `t${id}`, name: "wait", input: {}, attempt: 1, maxAttempts: 1 },
});

describe("executor signal", () => {
  it("an abort that arrives before the handler reads ctx.signal still reaches it", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: { aborted: boolean; reason: unknown }[] = [];
    const wait = defineJob({
      name: "wait",
      input: v.object({}),
      async run(_input, ctx) {
        await gate;
        seen.push({ aborted: ctx.signal.aborted, reason: ctx.signal.reason });
        return null;
      },
    });
    const sent: FromContext[] = [];
    const executor = createExecutor({
      jobs: new Map([["wait", wait]]),
      send: (m) => sent.push(m),
    });
    executor.receive(run("1"));
    executor.receive(run("2"));
    executor.receive({ type: "abort", id: "1", reason: "timeout", timeoutMs: 50 });
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent.filter((m) => m.type === "done")).toHaveLength(2);
    expect(seen[0]?.aborted).toBe(true);
    expect(String(seen[0]?.reason)).toMatch(/50/);
    expect(seen[1]?.aborted).toBe(false);
  });

  it("a signal read before the abort fires its listeners", async () => {
    const events: string[] = [];
    const wait = defineJob({
      name: "wait",
      input: v.object({}),
      async run(_input, ctx) {
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            events.push("abort");
            resolve();
          });
        });
        return null;
      },
    });
    const executor = createExecutor({ jobs: new Map([["wait", wait]]), send: () => {} });
    executor.receive(run("1"));
    await Promise.resolve();
    executor.receive({ type: "abort", id: "1", reason: "cancel" });
    expect(events).toEqual(["abort"]);
  });
});
