/**
 * JSON error bodies and request checks shared by the API routes.
 * @module
 */
import { HTTPException } from "hono/http-exception";
import * as v from "valibot";
import {
  type Issue,
  JobNotFoundError,
  JobStateError,
  ShiftworkError,
  UnknownJobError,
  unprefixed,
  ValidationError,
} from "../errors.js";
import type { JobRecord } from "../ports.js";
import { toIssues } from "../validate.js";
import type { ManagerLike } from "./app.js";

/** The statuses the API answers errors with. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 500 | 501;

/**
 * A JSON error body: `{ error: { message, issues? } }`. The library's `[shiftwork]` tag is left
 * out: a client sees one voice, whether the API's own check or the Manager refused.
 */
export function fail(status: ErrorStatus, message: string, issues?: Issue[]): Response {
  return Response.json(
    { error: { message: unprefixed(message), ...issuesOf(issues) } },
    { status },
  );
}

/**
 * The one 401: it says nothing about why, and names the scheme that would pass (RFC 9110 asks a
 * 401 to carry `WWW-Authenticate`).
 */
export function unauthorized(): Response {
  const response = fail(401, "unauthorized");
  response.headers.set("www-authenticate", 'Bearer realm="shiftwork"');
  return response;
}

/**
 * A path the Manager reported, as a path in the request body: `input.to` is `body.input.to`, and
 * options are top-level fields (`body.delay`, not `options.delay`).
 */
export const bodyPath = (path: string): string =>
  `body.${path.replace(/(^|\.)options\./, "$1").replace(/^\./, "")}`.replace(/\.$/, "");

/**
 * An error with its HTTP status, for a {@link ManagerLike} whose errors arrive as data (a Durable
 * Object's RPC answer): `createApp` answers with this status, message and issues, as given (issues
 * the Manager reported about a body go through {@link bodyPath} where they are received).
 */
export class ApiError extends ShiftworkError {
  override name = "ApiError";
  readonly status: ErrorStatus;
  readonly issues: Issue[] | undefined;
  constructor(status: ErrorStatus, message: string, issues?: Issue[]) {
    super(message);
    this.status = status;
    this.issues = issues;
  }
}

/**
 * Runs a Manager call made from the query or the path rather than a body. A 400 it ends in (a
 * Manager's `ValidationError`, or the `ApiError` a Cloudflare Worker's router makes of one) names
 * its fields where the request had them (`query.cursor`, `path.queue`), not `body.…` as
 * {@link errorResponse} would for an enqueue, and says `invalid query` / `invalid path`, as a
 * query the API's own schema refuses does.
 */
export async function named<T>(where: "query" | "path", call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const issues =
      error instanceof ValidationError
        ? error.issues
        : error instanceof ApiError && error.status === 400
          ? (error.issues ?? [])
          : undefined;
    if (!issues) throw error;
    const at = (path: string) => `${where}.${path.replace(/^body(\.|$)/, "")}`.replace(/\.$/, "");
    throw new ApiError(
      400,
      `invalid ${where}`,
      issues.map((issue) => ({ ...issue, path: at(issue.path) })),
    );
  }
}

/** The issue of an unknown job, at the field that named it (`body.jobs[2].name` in a batch). */
export const unknownJobIssues = ({ path, jobName }: UnknownJobError): Issue[] => [
  { path: bodyPath(path), message: `unknown job "${jobName}"` },
];

/** What an error answers over HTTP: its status, message and issues (see {@link errorResponse}). */
export interface ErrorAnswer {
  status: ErrorStatus;
  message: string;
  issues?: Issue[];
}

/** Maps what a Manager throws to a status: 400 bad input, 404, 409 wrong state, 422 unknown job. */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof ApiError) {
    return { status: error.status, message: error.message, ...issuesOf(error.issues) };
  }
  if (error instanceof ValidationError) {
    const issues = error.issues.map((issue) => ({ ...issue, path: bodyPath(issue.path) }));
    return { status: 400, message: error.message, issues };
  }
  if (error instanceof UnknownJobError) {
    return { status: 422, message: error.message, issues: unknownJobIssues(error) };
  }
  if (error instanceof JobNotFoundError) return { status: 404, message: error.message };
  if (error instanceof JobStateError) return { status: 409, message: error.message };
  if (error instanceof ShiftworkError && /held by job/.test(error.message))
    return { status: 409, message: error.message };
  return { status: 500, message: error instanceof Error ? error.message : "internal error" };
}

const issuesOf = (issues: Issue[] | undefined) => (issues ? { issues } : {});

/** The JSON answer of what a Manager throws ({@link errorAnswer}). */
export function errorResponse(error: unknown): Response {
  // Only bearer auth throws hono's HTTPException here: a missing, malformed (hono's 400) or wrong
  // token is one 401 that says nothing about why.
  if (error instanceof HTTPException) return unauthorized();
  const { status, message, issues } = errorAnswer(error);
  return fail(status, message, issues);
}

/**
 * The body as a JSON object, or a 400 that says it does not parse or is not an object (an array
 * would otherwise pass as one, and its fields be reported missing one by one).
 */
export async function readJsonObject(
  request: Request,
): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return {
      ok: false,
      response: fail(400, "body: expected JSON", [
        { path: "body", message: "does not parse as JSON" },
      ]),
    };
  }
  if (typeof body === "object" && body !== null && !Array.isArray(body)) return { ok: true, body };
  const got = Array.isArray(body) ? "an array" : body === null ? "null" : `a ${typeof body}`;
  return {
    ok: false,
    response: fail(400, "body: expected a JSON object", [
      { path: "body", message: `expected an object, got ${got}` },
    ]),
  };
}

/** Checks `value` against `schema`; a failure is a 400 whose issues name `root.field`. */
export function check<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  root: string,
): Checked<v.InferOutput<S>> {
  const result = v.safeParse(schema, value);
  return result.success
    ? { ok: true, value: result.output }
    : refusal({ status: 400, message: `invalid ${root}`, issues: toIssues(root, result.issues) });
}

/** A checked value, or what the refusal answers: as JSON (`response`), or for a page (`answer`). */
export type Checked<T> =
  | { ok: true; value: T }
  | { ok: false; answer: ErrorAnswer; response: Response };

const refusal = (answer: ErrorAnswer): { ok: false; answer: ErrorAnswer; response: Response } => ({
  ok: false,
  answer,
  response: fail(answer.status, answer.message, answer.issues),
});

/**
 * A request's query checked against `schema`, as {@link check} does. A parameter given twice
 * (`?state=failed&state=completed`) is refused by name: reading only the first would answer a
 * question the client did not ask.
 */
export function checkQuery<S extends v.GenericSchema>(
  schema: S,
  queries: Record<string, string[]>,
): Checked<v.InferOutput<S>> {
  const repeated = Object.keys(queries).filter((key) => (queries[key]?.length ?? 0) > 1);
  if (repeated.length > 0) {
    const issues = repeated.map((key) => ({
      path: `query.${key}`,
      message: "given more than once",
    }));
    return refusal({ status: 400, message: "invalid query", issues });
  }
  const single = Object.fromEntries(Object.entries(queries).map(([key, [value]]) => [key, value]));
  return check(schema, single, "query");
}

/** A job as the API shows it: without its lease token, which only the lease holder may know. */
export function publicJob(job: JobRecord): Omit<JobRecord, "leaseToken"> {
  const { leaseToken: _hidden, ...visible } = job;
  return visible;
}
