/**
 * The job module the Scheduler conformance suite runs. A Scheduler that loads job modules by URL
 * (threads, Bun workers) points its contexts at this file (`shiftwork/testing/jobs`).
 * @module
 */
import { defineJob, UnrecoverableError } from "shiftwork";
import * as v from "valibot";

/** Returns its input doubled. */
export const double = defineJob({
  name: "conformance.double",
  input: v.object({ n: v.number() }),
  run: ({ n }) => ({ doubled: n * 2 }),
});

/** Throws with the given message (unrecoverable when asked). */
export const fail = defineJob({
  name: "conformance.fail",
  input: v.object({ message: v.string(), unrecoverable: v.optional(v.boolean()) }),
  run: ({ message, unrecoverable }) => {
    throw unrecoverable ? new UnrecoverableError(message) : new Error(message);
  },
});

/** Reports progress and a log line, then waits for its signal and reports the abort reason. */
export const wait = defineJob({
  name: "conformance.wait",
  input: v.object({}),
  run: async (_input, ctx) => {
    ctx.progress(50);
    ctx.log("waiting", { attempt: ctx.attempt });
    await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
    throw ctx.signal.reason;
  },
});
