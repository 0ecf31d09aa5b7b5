import * as v from "valibot";
import type { ManagerHost } from "./_host.js";
import type { PlannedJob } from "./_plan.js";
import { UnknownJobError, ValidationError } from "./errors.js";
import { type EnqueueOptions, enqueueOptionsSchema, type ParsedEnqueueOptions } from "./options.js";
import type { EnqueueResult, NewJob } from "./ports.js";
import { asJson, parseOrThrow, toIssues } from "./validate.js";

/** One job to enqueue, by name. */
export interface EnqueueItem {
  name: string;
  input: unknown;
  options?: EnqueueOptions;
}

const NO_OPTIONS: ParsedEnqueueOptions = Object.freeze({});

/**
 * Checks one enqueue against its definition and turns it into the row storage inserts. Throws,
 * naming the field (`prefix` locates it in a batch: `jobs[2].input.to`), before anything is stored.
 */
export function prepareJob(
  jobs: Map<string, PlannedJob>,
  item: EnqueueItem,
  prefix: string,
  now: number,
): NewJob {
  if (!item || typeof item !== "object") {
    throw new ValidationError("enqueue", [
      { path: prefix.replace(/\.$/, "") || "job", message: "expected an object" },
    ]);
  }
  if (typeof item.name !== "string") {
    throw new ValidationError("enqueue", [
      { path: `${prefix}name`, message: "expected a job name" },
    ]);
  }
  const planned = jobs.get(item.name);
  if (!planned) throw new UnknownJobError(item.name, `${prefix}name`);
  const { definition, policy } = planned;
  const parsed = v.safeParse(definition.input, item.input);
  if (!parsed.success) {
    throw new ValidationError(
      `input of "${definition.name}"`,
      toIssues(`${prefix}input`, parsed.issues),
    );
  }
  // Most enqueues pass no options (`null` from plain JavaScript or JSON too): nothing to parse.
  const options =
    item.options == null
      ? NO_OPTIONS
      : parseOrThrow(enqueueOptionsSchema, item.options, "enqueue options", `${prefix}options`);
  return {
    name: definition.name,
    queue: options.queue ?? definition.queue ?? "default",
    input: asJson(item.input, `input of "${definition.name}"`, `${prefix}input`),
    priority: options.priority ?? definition.priority ?? 0,
    runAt: options.runAt ?? now + (options.delay ?? 0),
    maxAttempts: options.attempts ?? policy.attempts,
    key: options.key ?? null,
  };
}

/** Announces `enqueued` for each job an enqueue created (not one whose `key` was held already). */
export function announceEnqueued(
  host: Pick<ManagerHost, "emit">,
  results: readonly EnqueueResult[],
): void {
  for (const { job, created } of results) {
    // A job handed off as it was stored is already in its first attempt: `active` says so.
    if (created) {
      host.emit("enqueued", { jobId: job.id, name: job.name, queue: job.queue, attempt: 0 });
    }
  }
}
