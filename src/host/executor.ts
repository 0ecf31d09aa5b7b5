import * as v from "valibot";
import { type AnyJobDefinition, directiveOf } from "../define.js";
import { parseDuration } from "../duration.js";
import { errorInfo, ShiftworkError, TimeoutError, UnrecoverableError } from "../errors.js";
import type { FromContext, Json, RunOutcome, RunRequest, ToContext } from "../ports.js";
import { asJson, toIssues } from "../validate.js";

/** What an executor needs from its host: the definitions and a way to send messages back. */
export interface ExecutorOptions {
  jobs: ReadonlyMap<string, AnyJobDefinition>;
  send(message: FromContext): void;
}

/** Runs handlers for one execution context; a host feeds it messages. */
export interface Executor {
  receive(message: ToContext): void;
  /** Lease tokens of the attempts whose handlers have not returned yet. */
  running(): string[];
}

function abortReason(message: Extract<ToContext, { type: "abort" }>): Error {
  if (message.reason === "timeout") return new TimeoutError(message.timeoutMs ?? 0);
  return new ShiftworkError(message.reason === "cancel" ? "cancelled" : "shutting down");
}

/**
 * The host-independent body of an execution context: the inline scheduler calls it directly, a
 * thread or Bun worker binds it to its message port. It never touches storage.
 */
export function createExecutor({ jobs, send }: ExecutorOptions): Executor {
  // By lease token, not job id: a retry may start in this context while its previous attempt,
  // taken off the job, has not returned yet.
  const controllers = new Map<string, LazyAbort>();

  async function run(job: RunRequest): Promise<RunOutcome> {
    const definition = jobs.get(job.name);
    if (!definition) {
      return failed(
        new UnrecoverableError(`[shiftwork] name: unknown job "${job.name}" in this job module`),
      );
    }
    const parsed = v.safeParse(definition.input, job.input);
    if (!parsed.success) {
      const detail = toIssues("input", parsed.issues)
        .map((i) => `${i.path}: ${i.message}`)
        .join("; ");
      return failed(new UnrecoverableError(`[shiftwork] invalid input: ${detail}`));
    }
    const controller = new LazyAbort();
    controllers.set(job.token, controller);
    const ctx = {
      jobId: job.id,
      attempt: job.attempt,
      maxAttempts: job.maxAttempts,
      get signal() {
        return controller.signal;
      },
      progress(value: number | { [key: string]: Json }) {
        send({
          type: "progress",
          id: job.id,
          token: job.token,
          progress: asJson(value, "progress", "progress"),
        });
      },
      log(message: string, data?: Json) {
        send({
          type: "log",
          id: job.id,
          token: job.token,
          message: String(message),
          ...(data === undefined ? {} : { data }),
        });
      },
    };
    try {
      const value = await definition.run(parsed.output, ctx);
      const directive = directiveOf(value);
      if (directive?.kind === "snooze") {
        const delayMs = parseDuration(directive.delay);
        if (delayMs === undefined) {
          return failed(
            new UnrecoverableError(
              "[shiftwork] snooze: delay is not a duration from 0 to 100 years",
            ),
          );
        }
        return { kind: "snoozed", delayMs };
      }
      if (directive?.kind === "cancel") return { kind: "cancelled", reason: directive.reason };
      if (definition.output) {
        const checked = v.safeParse(definition.output, value);
        if (!checked.success) {
          const detail = toIssues("output", checked.issues)
            .map((i) => `${i.path}: ${i.message}`)
            .join("; ");
          return failed(new ShiftworkError(`invalid output: ${detail}`));
        }
      }
      return { kind: "completed", output: asJson(value, "output", "output") };
    } catch (error) {
      return failed(error);
    } finally {
      controllers.delete(job.token);
    }
  }

  return {
    receive(message) {
      if (message.type === "run") {
        const { job } = message;
        void run(job).then((outcome) =>
          send({ type: "done", id: job.id, token: job.token, outcome }),
        );
      } else {
        controllers.get(message.token)?.abort(abortReason(message));
      }
    },
    running: () => [...controllers.keys()],
  };
}

/**
 * An AbortController made only when a handler reads `ctx.signal`: making one costs several
 * microseconds on Node, more than a no-op job's whole run. An abort that comes first is kept and
 * the signal is born aborted.
 */
class LazyAbort {
  #controller: AbortController | undefined;
  #reason: Error | undefined;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: Error): void {
    if (this.#controller) this.#controller.abort(reason);
    else this.#reason ??= reason;
  }
}

function failed(error: unknown): RunOutcome {
  return {
    kind: "failed",
    error: errorInfo(error),
    unrecoverable: error instanceof UnrecoverableError,
  };
}
