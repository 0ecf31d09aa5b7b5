import * as v from "valibot";
import { type AnyJobDefinition, collectJobs } from "./define.js";
import { parseDuration } from "./duration.js";
import { type Issue, ValidationError } from "./errors.js";
import { queueNameSchema } from "./port-schemas.js";
import type { ClaimFilter } from "./ports.js";
import { type ResolvedRetryPolicy, retryPolicySchema } from "./retry.js";
import { toIssues } from "./validate.js";

/** A job definition with its retry policy and timeout resolved. */
export interface PlannedJob {
  definition: AnyJobDefinition;
  policy: ResolvedRetryPolicy;
  timeoutMs: number | undefined;
}

/** A set of Workers that claim with one filter. */
export interface WorkerGroup {
  /** The key of `workers` it came from: a job name or a queue. */
  key: string;
  queue: string;
  filter: ClaimFilter;
  count: number;
}

/** Resolves a job module's definitions: policies and timeouts checked once, up front. */
export function planJobs(module: unknown): Map<string, PlannedJob> {
  if (!module || typeof module !== "object") {
    throw new ValidationError("manager options", [
      { path: "jobs", message: "expected a job module or an array of definitions" },
    ]);
  }
  const planned = new Map<string, PlannedJob>();
  // Every definition's every problem in one error: fixing them one start at a time is tedious.
  const issues: Issue[] = [];
  for (const [name, definition] of collectJobs(module as never)) {
    const retry = v.safeParse(retryPolicySchema, definition.retry ?? {});
    if (!retry.success) issues.push(...toIssues(`jobs.${name}.retry`, retry.issues));
    let timeoutMs: number | undefined;
    if (definition.timeout !== undefined) {
      timeoutMs = parseDuration(definition.timeout);
      if (timeoutMs === undefined || timeoutMs <= 0) {
        issues.push({
          path: `jobs.${name}.timeout`,
          message:
            'expected a duration above 0, up to 100 years: milliseconds, or a string like "30s"',
        });
      }
    }
    if (definition.queue !== undefined) {
      const queue = v.safeParse(queueNameSchema, definition.queue);
      if (!queue.success) issues.push(...toIssues(`jobs.${name}.queue`, queue.issues));
    }
    if (retry.success) planned.set(name, { definition, policy: retry.output, timeoutMs });
  }
  if (issues.length > 0) throw new ValidationError("job definition", issues);
  return planned;
}

/**
 * Turns `workers` (job name or queue → count) into claim groups. A key that names a job claims
 * that job in any queue; any other key is a queue, claimed for every job this module defines.
 */
export function planGroups(
  counts: Record<string, number>,
  jobs: Map<string, PlannedJob>,
): WorkerGroup[] {
  const allNames = [...jobs.keys()];
  const issues: Issue[] = [];
  const groups: WorkerGroup[] = [];
  for (const [key, count] of Object.entries(counts)) {
    const job = jobs.get(key);
    if (job) {
      groups.push({
        key,
        queue: job.definition.queue ?? "default",
        filter: { names: [key] },
        count,
      });
    } else if (v.is(queueNameSchema, key)) {
      groups.push({ key, queue: key, filter: { queues: [key], names: allNames }, count });
    } else {
      issues.push({ path: `workers.${key}`, message: "not a job name, nor a valid queue name" });
    }
  }
  if (issues.length) throw new ValidationError("manager options", issues);
  return groups;
}
