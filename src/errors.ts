/**
 * Error classes users can catch. Every message starts with `[shiftwork]` so logs show where it came
 * from, but an `UnrecoverableError`'s: a handler throws it with its own words. The original error,
 * when there is one, is kept as `cause`.
 * @module
 */

/** One problem with an input: where it is (`input.email`) and what is wrong. */
export interface Issue {
  /** Dotted path of the offending field, starting with the argument's name. */
  path: string;
  message: string;
}

/** Base class of every error shiftwork throws on purpose. */
export class ShiftworkError extends Error {
  override name = "ShiftworkError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message.startsWith("[shiftwork]") ? message : `[shiftwork] ${message}`, options);
  }
}

/** Input (job input, enqueue options, manager options, a port argument) failed validation. */
export class ValidationError extends ShiftworkError {
  override name = "ValidationError";
  readonly issues: Issue[];
  constructor(what: string, issues: Issue[]) {
    const detail = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    super(`invalid ${what}: ${detail}`);
    this.issues = issues;
  }
}

/**
 * A library message without its `[shiftwork] ` tag, for a voice that says who it is already: the
 * CLI's `shiftwork: `, an HTTP error body.
 */
export const unprefixed = (message: string): string => message.replace(/^\[shiftwork\] /, "");

/** An enqueue named a job that no definition registers. */
export class UnknownJobError extends ShiftworkError {
  override name = "UnknownJobError";
  readonly jobName: string;
  /** The field that named it: `name`, or `jobs[2].name` in a batch. */
  readonly path: string;
  constructor(jobName: string, path = "name") {
    super(`${path}: unknown job "${jobName}"`);
    this.jobName = jobName;
    this.path = path;
  }
}

/** A job id that storage does not hold. */
export class JobNotFoundError extends ShiftworkError {
  override name = "JobNotFoundError";
  readonly jobId: string;
  constructor(jobId: string) {
    super(`job "${jobId}" not found`);
    this.jobId = jobId;
  }
}

/** A verb that does not apply to the job's current state (retry of a completed job, say). */
export class JobStateError extends ShiftworkError {
  override name = "JobStateError";
  readonly jobId: string;
  readonly state: string;
  constructor(jobId: string, state: string, verb: string) {
    super(`cannot ${verb} job "${jobId}": it is ${state}`);
    this.jobId = jobId;
    this.state = state;
  }
}

/**
 * Thrown from a handler to fail the job at once, skipping the attempts it has left.
 * Use it for errors a retry cannot fix (bad data, a deleted account).
 */
export class UnrecoverableError extends ShiftworkError {
  override name = "UnrecoverableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // A handler's own words, stored and shown as given: not under the library's prefix.
    this.message = message;
  }
}

/** A handler ran past its `timeout`; the job's signal was aborted with this reason. */
export class TimeoutError extends ShiftworkError {
  override name = "TimeoutError";
  constructor(ms: number) {
    super(`timed out after ${ms}ms`);
  }
}

/** A storage call failed. `cause` holds the adapter's error. */
export class StorageError extends ShiftworkError {
  override name = "StorageError";
  constructor(adapter: string, verb: string, cause: unknown) {
    const text = cause instanceof Error ? cause.message : String(cause);
    super(`[shiftwork] [${adapter}] ${verb} failed: ${text}`, { cause });
  }
}

/** Serialises an error for storage and for crossing a thread boundary. */
export function errorInfo(error: unknown): { message: string; stack?: string; name?: string } {
  if (error instanceof Error) {
    return {
      name: error.name,
      message: error.message,
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  return { message: describe(error) };
}

/**
 * Text for a thrown value that is not an Error. Never throws itself: a cyclic object, a BigInt or
 * an object without `toString` would otherwise throw here and leave its job running for ever.
 */
function describe(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // Not JSON: try its string form.
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
