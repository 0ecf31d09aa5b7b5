/**
 * The job module the Scheduler conformance suite runs. A Scheduler that loads job modules by URL
 * (threads, Bun workers) points its contexts at this file (`shiftwork/testing/jobs`).
 * @module
 */
import { defineJob, type JobDefinition, UnrecoverableError } from "shiftwork";
import * as v from "valibot";

/** Returns its input doubled. */
export const double: JobDefinition<
  "conformance.double",
  v.GenericSchema<{ n: number }>
> = defineJob({
  name: "conformance.double",
  input: v.object({ n: v.number() }),
  run: ({ n }) => ({ doubled: n * 2 }),
});

/** Throws with the given message (unrecoverable when asked). */
export const fail: JobDefinition<
  "conformance.fail",
  v.GenericSchema<{ message: string; unrecoverable?: boolean }>
> = defineJob({
  name: "conformance.fail",
  input: v.object({ message: v.string(), unrecoverable: v.optional(v.boolean()) }),
  run: ({ message, unrecoverable }) => {
    throw unrecoverable ? new UnrecoverableError(message) : new Error(message);
  },
});

/** Reports progress and a log line, then waits for its signal and reports the abort reason. */
export const wait: JobDefinition<
  "conformance.wait",
  v.GenericSchema<Record<string, never>>
> = defineJob({
  name: "conformance.wait",
  input: v.object({}),
  run: async (_input, ctx) => {
    ctx.progress(50);
    ctx.log("waiting", { attempt: ctx.attempt });
    await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
    throw ctx.signal.reason;
  },
});
