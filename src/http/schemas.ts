/**
 * The valibot schemas of the HTTP API: they validate every request, and the OpenAPI document is
 * generated from them (see `openapi.ts`), so the two cannot disagree.
 * @module
 */
import * as v from "valibot";
import { delayOrRunAt, enqueueOptionEntries } from "../options.js";
import { queueNameSchema } from "../port-schemas.js";
import { JOB_STATES } from "../ports.js";

/** A job name as the API accepts it. */
const jobName = v.pipe(v.string(), v.minLength(1), v.maxLength(200));

/** One job in a request body: `{ name, input, ...enqueue options }`, the Manager's own option schemas. */
export const jobRequestSchema = v.pipe(
  v.strictObject({
    name: jobName,
    input: v.optional(v.unknown()),
    ...enqueueOptionEntries,
  }),
  delayOrRunAt(),
);

/** `POST /jobs/batch`: up to 1000 jobs, stored all or nothing. */
export const batchRequestSchema = v.strictObject({
  jobs: v.pipe(v.array(jobRequestSchema), v.minLength(1), v.maxLength(1000)),
});

/**
 * An opaque page cursor: a sequence number from one Manager, or a list of per-object cursors when
 * the API fans out over several (Cloudflare). Clients pass back what `nextCursor` said.
 */
export const cursorSchema = v.pipe(
  v.string(),
  v.maxLength(4000),
  v.regex(/^[A-Za-z0-9_.:@~,-]+$/, "expected a cursor from nextCursor"),
);

/** What `limit` takes, in the words of each of its errors. */
const LIMIT = "expected a whole number from 1 to 200";

/** `GET /jobs` query. */
export const listQuerySchema = v.strictObject({
  state: v.optional(v.picklist(JOB_STATES)),
  name: v.optional(v.pipe(v.string(), v.maxLength(200))),
  queue: v.optional(queueNameSchema),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,4}$/, LIMIT),
      v.transform(Number),
      v.minValue(1, LIMIT),
      v.maxValue(200, LIMIT),
    ),
  ),
  cursor: v.optional(cursorSchema),
});

/** `GET /events` query: only one queue's events, or one job's. */
export const eventsQuerySchema = v.strictObject({
  queue: v.optional(queueNameSchema),
  job: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
});

/** `POST /login` form. */
export const loginFormSchema = v.object({
  token: v.pipe(v.string(), v.minLength(1), v.maxLength(1000)),
});

// ---- responses (documented in the OpenAPI document) -------------------------------------------

const errorInfoSchema = v.object({
  name: v.optional(v.string()),
  message: v.string(),
  stack: v.optional(v.string()),
});

/** A job as the API returns it. */
export const jobSchema = v.object({
  id: v.string(),
  seq: v.number(),
  name: v.string(),
  queue: v.string(),
  input: v.unknown(),
  state: v.picklist(JOB_STATES),
  priority: v.number(),
  runAt: v.number(),
  attempt: v.number(),
  maxAttempts: v.number(),
  key: v.nullable(v.string()),
  progress: v.unknown(),
  output: v.unknown(),
  error: v.nullable(errorInfoSchema),
  cancelReason: v.nullable(v.string()),
  cancelRequested: v.boolean(),
  leaseExpiresAt: v.nullable(v.number()),
  attempts: v.array(
    v.object({
      attempt: v.number(),
      startedAt: v.number(),
      endedAt: v.nullable(v.number()),
      outcome: v.nullable(v.string()),
      error: v.nullable(errorInfoSchema),
    }),
  ),
  createdAt: v.number(),
  updatedAt: v.number(),
  finishedAt: v.nullable(v.number()),
});

/** A page of `GET /jobs`. */
export const jobPageSchema = v.object({
  jobs: v.array(jobSchema),
  nextCursor: v.nullable(v.string()),
});

/** Counts of one queue. */
export const queueStatsSchema = v.object({
  queue: v.string(),
  paused: v.boolean(),
  waiting: v.number(),
  delayed: v.number(),
  active: v.number(),
  completed: v.number(),
  failed: v.number(),
  cancelled: v.number(),
});

/** An error body. */
export const errorBodySchema = v.object({
  error: v.object({
    message: v.string(),
    issues: v.optional(v.array(v.object({ path: v.string(), message: v.string() }))),
  }),
});
