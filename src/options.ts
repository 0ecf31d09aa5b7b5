import * as v from "valibot";
import { durationSchema } from "./duration.js";
import { noNul, queueNameSchema } from "./port-schemas.js";
import type { JobState, ListQuery } from "./ports.js";
import { attemptCountSchema } from "./retry.js";

/**
 * What `runAt` takes, in the words of its one error (a union's own would say "string or Date"). A
 * Date, which only code can pass, needs no word: it is what the code meant.
 */
const RUN_AT = "expected an ISO 8601 date-time with its time zone, such as 2026-01-31T12:00:00Z";

/** Whether an ISO date-time's day exists: `Date.parse` moves 2026-02-30 to March 2 unasked. */
const realDay = (text: string): boolean => {
  const [year, month, day] = text.slice(0, 10).split("-").map(Number) as [number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
};

const isoDate: v.GenericSchema<string, number> = v.pipe(
  v.string(),
  v.isoTimestamp(RUN_AT),
  v.check(realDay, RUN_AT),
  v.transform((text) => Date.parse(text)),
);

/** Options accepted by `enqueue`. */
export interface EnqueueOptions {
  /** Wait before the job is due: milliseconds, or a string like `"10s"`. */
  delay?: unknown;
  /** When the job is due: an ISO 8601 date-time or a Date (give `delay` or `runAt`, not both). */
  runAt?: string | Date;
  /** Lower runs first; an integer in ±1,000,000. Default 0. */
  priority?: number;
  /** A unique key: while a job with it is waiting or active, enqueueing it again returns that job. */
  key?: string;
  /** Attempts before the job fails for good (1–1000). */
  attempts?: number;
  /** The queue; default the job's own, else `default`. */
  queue?: string;
}

/** Enqueue options once checked: times as milliseconds. */
export interface ParsedEnqueueOptions {
  delay?: number;
  runAt?: number;
  priority?: number;
  key?: string;
  attempts?: number;
  queue?: string;
}

/** The fields of enqueue options, shared with the HTTP API's request schemas (one source of truth). */
export const enqueueOptionEntries = {
  delay: v.optional(durationSchema),
  runAt: v.optional(
    v.union(
      [
        isoDate,
        v.pipe(
          v.date(),
          v.check((d) => !Number.isNaN(d.getTime()), "invalid date"),
          v.transform((d) => d.getTime()),
        ),
      ],
      RUN_AT,
    ),
  ),
  priority: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(-1_000_000), v.maxValue(1_000_000)),
  ),
  key: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255), noNul)),
  attempts: v.optional(attemptCountSchema),
  queue: v.optional(queueNameSchema),
};

/** Enqueue options must not give both a delay and a date. */
export const delayOrRunAt = <T extends { delay?: number; runAt?: number }>(): v.CheckAction<
  T,
  string
> =>
  v.check<T, string>(
    (o) => o.delay === undefined || o.runAt === undefined,
    "give delay or runAt, not both",
  );

// Explicit schema types (not inferred) keep the public API free of "slow types" for JSR.
/** valibot schema of enqueue options; `runAt` and `delay` come out as milliseconds. */
export const enqueueOptionsSchema: v.GenericSchema<EnqueueOptions, ParsedEnqueueOptions> = v.pipe(
  v.strictObject(enqueueOptionEntries),
  delayOrRunAt(),
);

const count = v.pipe(
  v.number("expected a number"),
  v.integer("expected a whole number"),
  v.minValue(0, "expected 0 or more"),
  v.maxValue(1024, "expected at most 1024"),
);

/**
 * A lease or heartbeat: a whole number of milliseconds, at least 1. A lease of 0 would expire as
 * it is taken, so every rescue would run the job again beside its running handler.
 */
const period = v.pipe(
  durationSchema,
  v.check(
    (ms) => Number.isInteger(ms) && ms >= 1,
    "expected a whole number of milliseconds, at least 1",
  ),
);

/** valibot schema of the Manager's numeric settings. */
export const managerSettingsSchema = v.object({
  workers: v.record(v.pipe(v.string(), v.minLength(1)), count),
  lease: v.optional(period, 30_000),
  heartbeat: v.optional(period),
  rescueInterval: v.optional(durationSchema, 5_000),
  stopTimeout: v.optional(durationSchema, 30_000),
  abortGrace: v.optional(durationSchema, 5_000),
});

/** Filters of `Manager.list`. */
export interface ListOptions {
  state?: JobState;
  name?: string;
  queue?: string;
  /** Page size, 1–1000. Default 50. */
  limit?: number;
  /** `nextCursor` of the previous page (a number, or the same as digits, as in a URL). */
  cursor?: number | string;
}

/** valibot schema of `list` filters. */
export const listOptionsSchema: v.GenericSchema<ListOptions, ListQuery> = v.strictObject({
  state: v.optional(v.picklist(["waiting", "active", "completed", "failed", "cancelled"])),
  name: v.optional(v.pipe(v.string(), noNul)),
  // A name no queue can have is refused, as an enqueue would refuse it, not answered with nothing.
  queue: v.optional(queueNameSchema),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)), 50),
  cursor: v.optional(
    v.union(
      [
        v.pipe(v.number(), v.integer(), v.minValue(0)),
        v.pipe(v.string(), v.regex(/^\d{1,16}$/), v.transform(Number)),
      ],
      "expected a cursor: the nextCursor of the previous page",
    ),
  ),
});

/** valibot schema of `prune` options. */
export const pruneOptionsSchema = v.strictObject({
  olderThan: durationSchema,
  states: v.optional(v.array(v.picklist(["completed", "failed", "cancelled"])), [
    "completed",
    "failed",
    "cancelled",
  ]),
});

/** valibot schema of `stop` options. */
export const stopOptionsSchema = v.optional(
  v.strictObject({
    graceful: v.optional(v.boolean(), true),
    timeout: v.optional(durationSchema),
  }),
  {},
);
