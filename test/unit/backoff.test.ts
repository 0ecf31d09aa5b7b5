import { backoffDelay, DEFAULT_RETRY, defineJob, type RetryPolicy } from "shiftwork";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { settle, setup } from "./_harness.js";

const T0 = 1_700_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/**
 * Runs one always-failing job under `retry` until it fails for good. Returns each retry's delay
 * (from the failed attempt's end to the stored run time), checking on the way that no attempt
 * starts a millisecond early and that each one starts once its time has come.
 */
async function retryDelays(retry: RetryPolicy, random: () => number) {
  const fails = defineJob({
    name: "fails",
    input: v.object({}),
    retry,
    run: () => {
      throw new Error("nope");
    },
  });
  const { manager, trail } = setup({ jobs: [fails], workers: { fails: 1 }, random });
  await manager.start();
  const { id } = await manager.enqueue(fails, {});
  await settle();
  const delays: number[] = [];
  let job = await manager.get(id);
  while (job?.state === "waiting") {
    const ended = job.attempts.at(-1)?.endedAt ?? Number.NaN;
    delays.push(job.runAt - ended);
    await vi.advanceTimersByTimeAsync(job.runAt - Date.now() - 1);
    expect((await manager.get(id))?.attempts).toHaveLength(job.attempts.length);
    // The claim loop yields to timers with a setTimeout(0), which is a 1 ms timer inside a tick.
    await vi.advanceTimersByTimeAsync(2);
    const next = await manager.get(id);
    expect(next?.attempts).toHaveLength(job.attempts.length + 1);
    expect(next?.attempts.at(-1)?.startedAt).toBeGreaterThanOrEqual(job.runAt);
    expect(next?.attempts.at(-1)?.startedAt).toBeLessThanOrEqual(job.runAt + 1);
    job = next;
  }
  await manager.stop();
  return { delays, state: job?.state, attempts: job?.attempts.length, trail: trail(id) };
}

describe("retry backoff (fake timers, injected random)", () => {
  it("exponential: base * 2^(n-1), capped", async () => {
    const retry = {
      attempts: 5,
      backoff: { type: "exponential", base: "1s", cap: "3s" },
    } satisfies RetryPolicy;
    const { delays, state, attempts } = await retryDelays(retry, () => 0);
    expect(delays).toEqual([1000, 2000, 3000, 3000]);
    expect(state).toBe("failed");
    expect(attempts).toBe(5);
  });

  it("fixed: the same base every time", async () => {
    const retry = { attempts: 3, backoff: { type: "fixed", base: 2500 } } satisfies RetryPolicy;
    const { delays, attempts } = await retryDelays(retry, () => 0);
    expect(delays).toEqual([2500, 2500]);
    expect(attempts).toBe(3);
  });

  it("jitter takes random() * jitter of the delay off", async () => {
    const retry = {
      attempts: 3,
      backoff: { type: "exponential", base: 1000, jitter: 0.5 },
    } satisfies RetryPolicy;
    // random() = 0.5, jitter 0.5: each delay is 75% of its exponential value.
    const { delays } = await retryDelays(retry, () => 0.5);
    expect(delays).toEqual([750, 1500]);
  });

  it("defaults: 3 attempts, exponential from 1s, jitter 0.1", async () => {
    const { delays, trail } = await retryDelays({}, () => 1);
    expect(delays).toEqual([900, 1800]);
    expect(trail).toEqual([
      "enqueued",
      "active",
      "retrying",
      "active",
      "retrying",
      "active",
      "failed",
    ]);
  });
});

describe("backoffDelay", () => {
  const policy = { ...DEFAULT_RETRY, baseMs: 100, capMs: 1000, jitter: 0.2 };

  it("grows exponentially per attempt and stops at the cap", () => {
    const delays = [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n, () => 0));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("applies jitter after the cap", () => {
    expect(backoffDelay(policy, 10, () => 0.5)).toBe(900);
    expect(backoffDelay({ ...policy, type: "fixed" }, 10, () => 0.25)).toBe(95);
  });
});
