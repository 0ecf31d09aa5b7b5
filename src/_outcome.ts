import type { JobEventInit, ManagerEventType } from "./events.js";
import type { ClaimedJob, JobResult, RunOutcome } from "./ports.js";
import { backoffDelay, type ResolvedRetryPolicy } from "./retry.js";

/** A result without its lease: the Manager adds the claim's id and token. */
export type ResultBody = JobResult extends infer R
  ? R extends unknown
    ? Omit<R, "id" | "token">
    : never
  : never;

/** What to store for a handler's outcome, and which event announces it once stored. */
export interface Decision {
  result: ResultBody;
  event: Exclude<ManagerEventType, "error">;
  detail: Partial<JobEventInit>;
}

/**
 * Turns a handler's outcome into the fenced write that records it: a failure becomes a retry at
 * its backoff time while attempts remain and the error is not unrecoverable.
 */
export function decide(
  job: ClaimedJob,
  outcome: RunOutcome,
  policy: ResolvedRetryPolicy,
  now: number,
  random: () => number,
): Decision {
  switch (outcome.kind) {
    case "completed":
      return {
        result: { kind: "completed", output: outcome.output },
        event: "completed",
        detail: { output: outcome.output },
      };
    case "snoozed": {
      const runAt = now + outcome.delayMs;
      return { result: { kind: "snoozed", runAt }, event: "snoozed", detail: { runAt } };
    }
    case "cancelled":
      return {
        result: { kind: "cancelled", reason: outcome.reason },
        event: "cancelled",
        detail: { reason: outcome.reason },
      };
    case "failed": {
      const { error } = outcome;
      if (outcome.unrecoverable || job.attempt >= job.maxAttempts) {
        return { result: { kind: "failed", error }, event: "failed", detail: { error } };
      }
      const runAt = now + backoffDelay(policy, job.attempt, random);
      return {
        result: { kind: "retry", error, runAt },
        event: "retrying",
        detail: { error, runAt },
      };
    }
  }
}
