import * as v from "valibot";
import { type Duration, durationSchema } from "./duration.js";

/** How a failed job is retried. */
export interface RetryPolicy {
  /** Total attempts, the first included. Default 3. */
  attempts?: number;
  backoff?: {
    /** `fixed`: always `base`; `exponential`: `base * 2^(attempt-1)`. Default exponential. */
    type?: "fixed" | "exponential";
    /** Default 1s. */
    base?: Duration;
    /** Upper bound of one delay. Default 1h. */
    cap?: Duration;
    /** Fraction (0..1) of the delay taken off at random, so retries spread out. Default 0.1. */
    jitter?: number;
  };
}

/** A {@link RetryPolicy} with every default filled in and durations in milliseconds. */
export interface ResolvedRetryPolicy {
  attempts: number;
  type: "fixed" | "exponential";
  baseMs: number;
  capMs: number;
  jitter: number;
}

/** Defaults used where a job's policy is silent. */
export const DEFAULT_RETRY: ResolvedRetryPolicy = {
  attempts: 3,
  type: "exponential",
  baseMs: 1000,
  capMs: 3_600_000,
  jitter: 0.1,
};

const attemptsSchema: v.GenericSchema<number> = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(1),
  v.maxValue(1000),
);

/** valibot schema of a {@link RetryPolicy}, output resolved. */
export const retryPolicySchema = v.pipe(
  v.strictObject({
    attempts: v.optional(attemptsSchema),
    backoff: v.optional(
      v.strictObject({
        type: v.optional(v.picklist(["fixed", "exponential"])),
        base: v.optional(durationSchema),
        cap: v.optional(durationSchema),
        jitter: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
      }),
    ),
  }),
  v.transform(
    (p): ResolvedRetryPolicy => ({
      attempts: p.attempts ?? DEFAULT_RETRY.attempts,
      type: p.backoff?.type ?? DEFAULT_RETRY.type,
      baseMs: p.backoff?.base ?? DEFAULT_RETRY.baseMs,
      capMs: p.backoff?.cap ?? DEFAULT_RETRY.capMs,
      jitter: p.backoff?.jitter ?? DEFAULT_RETRY.jitter,
    }),
  ),
);

/** Schema of the attempt count alone (shared with enqueue options). */
export const attemptCountSchema = attemptsSchema;

/**
 * Delay before the next attempt, after attempt number `attempt` (1-based) failed.
 * `random` returns [0, 1); injected so tests are exact.
 */
export function backoffDelay(
  policy: ResolvedRetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const raw =
    policy.type === "fixed" ? policy.baseMs : policy.baseMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(raw, policy.capMs);
  return Math.round(capped * (1 - policy.jitter * random()));
}
