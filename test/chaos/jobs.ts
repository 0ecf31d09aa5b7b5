import { writeSync } from "node:fs";
import { defineJob } from "shiftwork";
import * as v from "valibot";

/** Where handler starts and ends are written: a file descriptor the host opens before starting. */
export const journal = { fd: -1, workMs: 20 };

/** Writes one journal line at once (a synchronous write survives the SIGKILL that follows it). */
export const note = (line: string) => {
  writeSync(journal.fd, `${line}\n`);
};

/**
 * The kill loop's job: journals its start, works for a while (so the drain outlasts the kills),
 * journals its end, and returns a value derived from its input (so a wrong output shows).
 */
export const chaosWork = defineJob({
  name: "chaos.work",
  input: v.object({ n: v.number() }),
  retry: { attempts: 20, backoff: { type: "fixed", base: 10 } },
  async run({ n }, ctx) {
    note(`S ${ctx.jobId} ${ctx.attempt} ${process.pid} ${Date.now()}`);
    await new Promise((resolve) => setTimeout(resolve, journal.workMs));
    note(`E ${ctx.jobId} ${ctx.attempt} ${process.pid} ${Date.now()}`);
    return n * 3;
  },
});
