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
    executor.receive({ type: "abort", id: "1", token: "t1", reason: "timeout", timeoutMs: 50 });
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
    executor.receive({ type: "abort", id: "1", token: "t1", reason: "cancel" });
    expect(events).toEqual(["abort"]);
  });

  it("two attempts of one job in one context: each abort reaches its own attempt", async () => {
    let releaseFirst = () => {};
    const firstDone = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const signals = new Map<number, AbortSignal>();
    const wait = defineJob({
      name: "wait",
      input: v.object({}),
      async run(_input, ctx) {
        signals.set(ctx.attempt, ctx.signal);
        if (ctx.attempt === 1)
          await firstDone; // taken off its job, still running
        else await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        return null;
      },
    });
    const sent: FromContext[] = [];
    const executor = createExecutor({
      jobs: new Map([["wait", wait]]),
      send: (m) => sent.push(m),
    });
    const attempt = (n: number) => ({
      type: "run" as const,
      job: { id: "9", token: `t9.${n}`, name: "wait", input: {}, attempt: n, maxAttempts: 2 },
    });
    executor.receive(attempt(1));
    executor.receive(attempt(2));
    await Promise.resolve();
    releaseFirst(); // attempt 1 returns: its cleanup must not drop attempt 2's handle
    await new Promise((resolve) => setTimeout(resolve, 0));
    executor.receive({ type: "abort", id: "9", token: "t9.2", reason: "cancel" });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(signals.get(2)?.aborted).toBe(true);
    expect(signals.get(1)?.aborted).toBe(false);
    expect(sent.filter((m) => m.type === "done").map((m) => m.token)).toEqual(["t9.1", "t9.2"]);
  });
});
