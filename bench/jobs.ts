// The job module of the benchmarks: the same handlers run inline, in Node threads and in Bun
// workers (each context loads this file).
import { defineJob } from "shiftwork";
import * as v from "valibot";

/** The no-op handler every throughput scenario drains (plainjob gets the same empty function). */
export const noop = defineJob({
  name: "noop",
  input: v.object({ n: v.number() }),
  run: () => {},
});

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const wallNow = () => performance.timeOrigin + performance.now();

/** Handler-start times of `probe` jobs, by the time they were enqueued (read by scenario C). */
export const probeStarts: { sentAt: number; startedAt: number }[] = [];

/** Scenario C's job: notes when its handler started, against the enqueue time it carries. */
export const probe = defineJob({
  name: "probe",
  input: v.object({ sentAt: v.number() }),
  run: ({ sentAt }) => {
    probeStarts.push({ sentAt, startedAt: wallNow() });
  },
});
