// A job that misbehaves on its first attempts, in a chosen way: loaded by the thread-fault drain.
import { defineJob } from "shiftwork";
import * as v from "valibot";

/** The ways a handler goes wrong in a thread. */
export const FAULTS = ["throw", "hang", "exit", "oom"] as const;

/**
 * Misbehaves (`fault`) while its attempt is at most `faultyAttempts`, then returns `n * 2`. Two
 * attempts in all: one faulty attempt ends completed on the retry, two end failed.
 */
export const faulty = defineJob({
  name: "faulty",
  input: v.object({
    n: v.number(),
    fault: v.picklist(["none", ...FAULTS]),
    faultyAttempts: v.number(),
  }),
  // Long enough for an allocation loop to reach the thread's memory limit on a loaded machine.
  timeout: 2_000,
  retry: { attempts: 2, backoff: { type: "fixed", base: 10 } },
  async run({ n, fault, faultyAttempts }, ctx) {
    if (ctx.attempt <= faultyAttempts) {
      if (fault === "throw") throw new Error(`thrown on attempt ${ctx.attempt}`);
      // Never settles and ignores its signal: only terminating the thread ends it.
      if (fault === "hang") await new Promise(() => {});
      if (fault === "exit") process.exit(7);
      if (fault === "oom") {
        const hoard: number[][] = [];
        for (;;) hoard.push(new Array(1_000_000).fill(ctx.attempt));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
    return n * 2;
  },
});
