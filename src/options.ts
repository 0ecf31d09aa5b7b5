import * as v from "valibot";
import { durationSchema } from "./duration.js";
import { noNul, queueNameSchema } from "./port-schemas.js";
import { attemptCountSchema } from "./retry.js";

const isoDate = v.pipe(
  v.string(),
  v.isoTimestamp("expected an ISO 8601 date-time such as 2026-01-31T12:00:00Z"),
  v.transform((text) => Date.parse(text)),
);

/** The fields of enqueue options, shared with the HTTP API's request schemas (one source of truth). */
export const enqueueOptionEntries = {
  delay: v.optional(durationSchema),
  runAt: v.optional(
    v.union([
      isoDate,
      v.pipe(
        v.date(),
        v.check((d) => !Number.isNaN(d.getTime()), "invalid date"),
        v.transform((d) => d.getTime()),
      ),
    ]),
  ),
  priority: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(-1_000_000), v.maxValue(1_000_000)),
  ),
  key: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255), noNul)),
  attempts: v.optional(attemptCountSchema),
  queue: v.optional(queueNameSchema),
};

/** Enqueue options must not give both a delay and a date. */
export const delayOrRunAt = <T extends { delay?: number; runAt?: number }>() =>
  v.check<T, string>(
    (o) => o.delay === undefined || o.runAt === undefined,
    "give delay or runAt, not both",
  );

/** valibot schema of enqueue options; `runAt` and `delay` come out as milliseconds. */
export const enqueueOptionsSchema = v.pipe(v.strictObject(enqueueOptionEntries), delayOrRunAt());

/** Options accepted by `enqueue`. */
export type EnqueueOptions = v.InferInput<typeof enqueueOptionsSchema>;

const count = v.pipe(
  v.number("expected a number"),
  v.integer("expected a whole number"),
  v.minValue(0, "expected 0 or more"),
  v.maxValue(1024, "expected at most 1024"),
);

/** valibot schema of the Manager's numeric settings. */
export const managerSettingsSchema = v.object({
  workers: v.record(v.pipe(v.string(), v.minLength(1)), count),
  lease: v.optional(durationSchema, 30_000),
  heartbeat: v.optional(durationSchema),
  rescueInterval: v.optional(durationSchema, 5_000),
  stopTimeout: v.optional(durationSchema, 30_000),
  abortGrace: v.optional(durationSchema, 5_000),
});

/** valibot schema of `list` filters. */
export const listOptionsSchema = v.strictObject({
  state: v.optional(v.picklist(["waiting", "active", "completed", "failed", "cancelled"])),
  name: v.optional(v.pipe(v.string(), noNul)),
  queue: v.optional(v.pipe(v.string(), noNul)),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)), 50),
  // A number, or the same as digits (as it arrives in a URL).
  cursor: v.optional(
    v.union([
      v.pipe(v.number(), v.integer(), v.minValue(0)),
      v.pipe(v.string(), v.regex(/^\d{1,16}$/, "expected a cursor"), v.transform(Number)),
    ]),
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
