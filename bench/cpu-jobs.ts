// The CPU-bound job of bench/cpu.ts: a fixed amount of arithmetic (not a timed loop), so the
// same work takes the same CPU time in a thread or inline.
import { defineJob } from "shiftwork";
import * as v from "valibot";

export const burn = defineJob({
  name: "burn",
  input: v.object({ rounds: v.number() }),
  run: ({ rounds }) => {
    let x = 0;
    for (let i = 0; i < rounds; i++) x = (x * 31 + i) % 1_000_003;
    return x;
  },
});
