// Jobs only the workerd tests need, beside the example module.
import { defineJob } from "shiftwork";
import * as v from "valibot";

/** Never returns on its own: waits for its signal (a timeout or a cancel). */
export const hang = defineJob({
  name: "test.hang",
  input: v.object({}),
  timeout: 300,
  retry: { attempts: 1 },
  run: (_input, ctx) =>
    new Promise((_resolve, reject) =>
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
    ),
});

/** Takes `ms` (async), then returns. */
export const slow = defineJob({
  name: "test.slow",
  input: v.object({ ms: v.number() }),
  run: async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { slept: ms };
  },
});
