import { appendFileSync } from "node:fs";
import { defineJob } from "shiftwork";
import * as v from "valibot";

/** Where handler starts are written (set by the host before the Manager starts). */
export const starts = { file: "", hang: false, lines: [] as string[] };

/** Records its start; with the host's `--hang`, never returns (until its signal fires). */
export const work = defineJob({
  name: "mp.work",
  input: v.object({ n: v.number() }),
  retry: { attempts: 5, backoff: { type: "fixed", base: 10 } },
  async run({ n }, ctx) {
    const line = `S ${ctx.jobId} ${ctx.attempt} ${process.pid} ${Date.now()}\n`;
    if (starts.hang) appendFileSync(starts.file, line);
    else starts.lines.push(line);
    if (starts.hang) await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    return n * 2;
  },
});
