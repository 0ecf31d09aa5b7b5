import type * as v from "valibot";
import type { Duration } from "./duration.js";
import type { Json } from "./ports.js";
import type { RetryPolicy } from "./retry.js";

/** What a handler gets besides its input. */
export interface JobContext {
  readonly jobId: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborted on timeout, cancel or shutdown; `signal.reason` says which. */
  readonly signal: AbortSignal;
  /** Reports progress (a number or a JSON object); stored with the job and sent as a `progress` event. */
  progress(value: number | { [key: string]: Json }): void;
  /** Sends a `log` event with the job's id. */
  log(message: string, data?: Json): void;
}

const DIRECTIVE = Symbol.for("shiftwork.directive");

/** A handler's request to run again later without using an attempt. */
export interface SnoozeDirective {
  readonly [DIRECTIVE]: "snooze";
  readonly delay: Duration;
}

/** A handler's request to end the job as cancelled. */
export interface CancelDirective {
  readonly [DIRECTIVE]: "cancel";
  readonly reason: string;
}

/** Return from a handler: run this job again after `delay`, without using up an attempt. */
export function snooze(delay: Duration): SnoozeDirective {
  return { [DIRECTIVE]: "snooze", delay };
}

/** Return from a handler: end this job as cancelled, with a reason. */
export function cancel(reason = "cancelled by handler"): CancelDirective {
  return { [DIRECTIVE]: "cancel", reason };
}

/** Tells a directive from an ordinary return value. */
export function directiveOf(
  value: unknown,
): { kind: "snooze"; delay: unknown } | { kind: "cancel"; reason: string } | undefined {
  if (value === null || typeof value !== "object" || !(DIRECTIVE in value)) return undefined;
  const directive = value as SnoozeDirective | CancelDirective;
  return directive[DIRECTIVE] === "snooze"
    ? { kind: "snooze", delay: directive.delay }
    : { kind: "cancel", reason: String((directive as CancelDirective).reason) };
}

/** A valibot schema of any type. */
export type AnySchema = v.GenericSchema<unknown, unknown>;

/** The options of {@link defineJob}. */
export interface JobOptions<
  Name extends string,
  Input extends AnySchema,
  Output extends AnySchema | undefined,
> {
  /** Unique job name, e.g. `"email.send"`. */
  name: Name;
  /** valibot schema of the input; checked at enqueue and parsed again before `run`. */
  input: Input;
  /** Optional valibot schema the handler's return value must satisfy. */
  output?: Output;
  run(
    input: v.InferOutput<Input>,
    ctx: JobContext,
  ): Promise<HandlerReturn<Output>> | HandlerReturn<Output>;
  retry?: RetryPolicy;
  /** Aborts the handler's signal and fails the attempt after this long. */
  timeout?: Duration;
  /** Default priority of enqueued jobs; lower runs first. Default 0. */
  priority?: number;
  /** Queue the job goes to unless the enqueue says otherwise. Default `"default"`. */
  queue?: string;
}

/** What `run` may return: the output, or a snooze/cancel directive. */
export type HandlerReturn<Output extends AnySchema | undefined> =
  | (Output extends AnySchema ? v.InferInput<Output> : unknown)
  | SnoozeDirective
  | CancelDirective;

/** A job definition, as returned by {@link defineJob}. */
export interface JobDefinition<
  Name extends string = string,
  Input extends AnySchema = AnySchema,
  Output extends AnySchema | undefined = AnySchema | undefined,
> extends JobOptions<Name, Input, Output> {
  readonly kind: "shiftwork.job";
}

/** Any job definition, whatever its types. */
// biome-ignore lint/suspicious/noExplicitAny: the handler's parameter types vary per job
export type AnyJobDefinition = JobDefinition<string, any, any>;

/** The input type callers pass to enqueue a definition. */
export type InputOf<D> =
  D extends JobDefinition<string, infer I, AnySchema | undefined> ? v.InferInput<I> : never;

/**
 * Defines a job. Export the result from a job module; the same module runs on every host.
 *
 * @example
 * export const sendEmail = defineJob({
 *   name: "email.send",
 *   input: v.object({ to: v.pipe(v.string(), v.email()) }),
 *   async run({ to }, ctx) { await mailer.send(to, { signal: ctx.signal }); },
 * });
 */
export function defineJob<
  const Name extends string,
  Input extends AnySchema,
  Output extends AnySchema | undefined = undefined,
>(options: JobOptions<Name, Input, Output>): JobDefinition<Name, Input, Output> {
  return { ...options, kind: "shiftwork.job" };
}

/** True for values made by {@link defineJob}. */
export function isJobDefinition(value: unknown): value is AnyJobDefinition {
  return (
    value !== null &&
    typeof value === "object" &&
    (value as { kind?: unknown }).kind === "shiftwork.job"
  );
}

/**
 * Collects the definitions of a job module: its named exports made by {@link defineJob}, or a
 * default export holding an array of them. Duplicate names are an error.
 */
export function collectJobs(
  module: Iterable<AnyJobDefinition> | Record<string, unknown>,
): Map<string, AnyJobDefinition> {
  const found: AnyJobDefinition[] = [];
  if (Symbol.iterator in module) {
    found.push(...(module as Iterable<AnyJobDefinition>));
  } else {
    for (const value of Object.values(module)) {
      if (isJobDefinition(value)) found.push(value);
      else if (Array.isArray(value)) found.push(...value.filter(isJobDefinition));
    }
  }
  const byName = new Map<string, AnyJobDefinition>();
  for (const job of found) {
    if (!isJobDefinition(job)) throw new TypeError("[shiftwork] jobs: not a defineJob() result");
    if (byName.has(job.name) && byName.get(job.name) !== job) {
      throw new TypeError(`[shiftwork] jobs: two definitions named "${job.name}"`);
    }
    byName.set(job.name, job);
  }
  return byName;
}
