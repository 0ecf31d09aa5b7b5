/**
 * valibot schemas of the Storage port's arguments, so every adapter rejects bad input the same way
 * before it changes anything.
 * @module
 */
import * as v from "valibot";
import { isTrusted } from "./_trust.js";
import type {
  ClaimRequest,
  EnqueueClaim,
  JobResult,
  Lease,
  ListQuery,
  NewJob,
  PruneRequest,
} from "./ports.js";
import { JOB_STATES } from "./ports.js";
import { parseOrThrow } from "./validate.js";

const time = v.pipe(v.number(), v.finite(), v.minValue(0));
const int = v.pipe(v.number(), v.integer());
const leaseMsSchema = v.pipe(int, v.minValue(1));

// The checks of a time and of a lease length on their own, which every verb makes: a valid value
// passes a plain test (a valibot parse costs microseconds, more on the first call after an idle
// spell, and sits on the path from an enqueue to its handler's start); only an invalid one is
// parsed, for the error naming its field.

/** Checks a time: a finite number ≥ 0. */
const checkTime = (value: unknown, verb: string, path: string): void => {
  if (!(typeof value === "number" && value >= 0 && value !== Number.POSITIVE_INFINITY)) {
    parseOrThrow(time, value, verb, path);
  }
};

/** Checks a lease length: a whole number of milliseconds ≥ 1. */
const checkLeaseMs = (value: unknown, verb: string, path: string): void => {
  if (!(Number.isInteger(value) && (value as number) >= 1)) {
    parseOrThrow(leaseMsSchema, value, verb, path);
  }
};

/**
 * SQLite's C interface ends a bound string at its first NUL character (the libSQL binding stores
 * "k\u0000x" as "k"), so such strings are refused before any adapter sees them.
 */
export const noNul: v.CheckAction<string, string> = v.check<string, string>(
  (value) => !value.includes("\u0000"),
  "must not contain a NUL character (\\u0000)",
);
const text = v.pipe(v.string(), v.minLength(1), v.maxLength(1000), noNul);
const errorInfo = v.object({
  name: v.optional(v.string()),
  message: v.string(),
  stack: v.optional(v.string()),
});

/** A queue name: letters, digits and `_ . : -`, so it is safe in URLs and object names. */
export const queueNameSchema: v.GenericSchema<string> = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(100),
  v.regex(/^[A-Za-z0-9_.:-]+$/, "use letters, digits and _ . : - only"),
);

const newJob = v.object({
  name: text,
  queue: queueNameSchema,
  input: v.unknown(),
  priority: int,
  runAt: time,
  maxAttempts: v.pipe(int, v.minValue(1)),
  key: v.nullable(text),
});

const lease = v.object({ id: text, token: text });
const idList = v.optional(v.array(v.string()));

const result = v.variant("kind", [
  v.object({ ...lease.entries, kind: v.literal("completed"), output: v.unknown() }),
  v.object({ ...lease.entries, kind: v.literal("failed"), error: errorInfo }),
  v.object({ ...lease.entries, kind: v.literal("retry"), error: errorInfo, runAt: time }),
  v.object({ ...lease.entries, kind: v.literal("snoozed"), runAt: time }),
  v.object({ ...lease.entries, kind: v.literal("cancelled"), reason: v.string() }),
  v.object({ ...lease.entries, kind: v.literal("released") }),
  v.object({ ...lease.entries, kind: v.literal("progress"), progress: v.unknown() }),
]);

const newJobs = v.array(newJob);

/** Checks an enqueue batch; a batch the Manager prepared passes as it is. */
export const checkNewJobs = (jobs: unknown, now: unknown): readonly NewJob[] => {
  checkTime(now, "enqueue", "now");
  if (isTrusted(jobs)) return jobs as NewJob[];
  return parseOrThrow(newJobs, jobs, "enqueue", "jobs") as NewJob[];
};

const claimRequest = v.object({
  queues: idList,
  names: idList,
  limit: v.pipe(int, v.minValue(1), v.maxValue(10_000)),
  leaseMs: leaseMsSchema,
  now: time,
});
const claimRequests = v.array(claimRequest);

/**
 * The Manager's own claim request: its shape is the Manager's, but its time comes from the
 * injected clock and its lease from the options, so those two are still checked (cheaply).
 */
const checkTrustedClaim = (request: ClaimRequest, verb: string, path: string): ClaimRequest => {
  checkTime(request.now, verb, `${path}now`);
  checkLeaseMs(request.leaseMs, verb, `${path}leaseMs`);
  return request;
};

/** Checks a claim request (the Manager's own: only its time and lease). */
export const checkClaim = (request: unknown): ClaimRequest =>
  isTrusted(request)
    ? checkTrustedClaim(request as ClaimRequest, "claim", "")
    : parseOrThrow(claimRequest, request, "claim", "");

const enqueueClaim = v.object({ queues: idList, names: idList, leaseMs: leaseMsSchema });

/** Checks the hand-off asked of an enqueue, if any (the Manager's own: only its lease). */
export const checkEnqueueClaim = (claim: unknown): EnqueueClaim | undefined => {
  if (claim === undefined) return undefined;
  if (!isTrusted(claim)) return parseOrThrow(enqueueClaim, claim, "enqueue", "claim");
  checkLeaseMs((claim as EnqueueClaim).leaseMs, "enqueue", "claim.leaseMs");
  return claim as EnqueueClaim;
};

/** Checks the claim requests of `recordAndClaim` (the Manager's own: only time and lease). */
export const checkClaims = (requests: unknown): readonly ClaimRequest[] => {
  if (!Array.isArray(requests) || !requests.every(isTrusted)) {
    return parseOrThrow(claimRequests, requests, "recordAndClaim", "requests");
  }
  requests.forEach((request: ClaimRequest, i) => {
    checkTrustedClaim(request, "recordAndClaim", `requests[${i}].`);
  });
  return requests;
};

const leases = v.array(lease);

/** Checks lease extensions. */
export const checkLeases = (list: unknown, leaseMs: unknown, now: unknown): readonly Lease[] => {
  checkLeaseMs(leaseMs, "extendLeases", "leaseMs");
  checkTime(now, "extendLeases", "now");
  return parseOrThrow(leases, list, "extendLeases", "leases");
};

const results = v.array(result);

/** Checks a batch of results; a batch the Manager built passes as it is. */
export const checkResults = (batch: unknown, now: unknown): readonly JobResult[] => {
  checkTime(now, "record", "now");
  if (isTrusted(batch)) return batch as JobResult[];
  return parseOrThrow(results, batch, "record", "results") as JobResult[];
};

/** Checks a job id. */
export const checkId = (id: unknown, verb: string): string => parseOrThrow(text, id, verb, "id");

/** Checks a time argument. */
export const checkNow = (now: unknown, verb: string): number => {
  checkTime(now, verb, "now");
  return now as number;
};

/** Checks a queue name argument. */
export const checkQueue = (queue: unknown, verb: string): string =>
  parseOrThrow(queueNameSchema, queue, verb, "queue");

/** Checks a list query. */
export const checkListQuery = (query: unknown): ListQuery =>
  parseOrThrow(
    v.object({
      state: v.optional(v.picklist(JOB_STATES)),
      name: v.optional(v.string()),
      queue: v.optional(v.string()),
      limit: v.pipe(int, v.minValue(1), v.maxValue(1000)),
      cursor: v.optional(v.pipe(int, v.minValue(0))),
    }),
    query,
    "list",
    "",
  );

/** Checks a prune request. */
export const checkPrune = (request: unknown): PruneRequest =>
  parseOrThrow(
    v.object({
      before: time,
      states: v.pipe(
        v.array(v.picklist(["completed", "failed", "cancelled"])),
        v.minLength(1, "name at least one finished state"),
      ),
    }),
    request,
    "prune",
    "",
  );

/** Checks a claim filter. */
export const checkFilter = (filter: unknown): { queues?: string[]; names?: string[] } =>
  parseOrThrow(v.object({ queues: idList, names: idList }), filter, "nextWakeAt", "filter");
