import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import * as v from "valibot";
import type { EnqueueItem } from "../_enqueue.js";
import {
  type Issue,
  JobNotFoundError,
  JobStateError,
  ShiftworkError,
  UnknownJobError,
  ValidationError,
} from "../errors.js";
import type { ListOptions } from "../manager.js";
import type { EnqueueOptions } from "../options.js";
import type { JobPage, JobRecord, QueueStats } from "../ports.js";
import { toIssues } from "../validate.js";
import { batchRequestSchema, jobRequestSchema, listQuerySchema } from "./schemas.js";

/**
 * What the HTTP app needs from a Manager: small enough that a Durable Object stub, or a Manager in
 * another process, can stand in for it.
 */
export interface ManagerLike {
  enqueue(name: string, input: unknown, options?: EnqueueOptions): Promise<JobRecord>;
  enqueueMany(items: readonly EnqueueItem[]): Promise<JobRecord[]>;
  get(id: string): Promise<JobRecord | null>;
  list(options?: ListOptions): Promise<JobPage>;
  cancel(id: string, reason?: string): Promise<JobRecord>;
  retry(id: string): Promise<JobRecord>;
  pause(queue?: string): Promise<void>;
  resume(queue?: string): Promise<void>;
  stats(): Promise<QueueStats[]>;
  workers?(): { toJSON(): unknown }[];
}

/** Options of {@link createApp}. */
export interface AppOptions {
  /** When set, every route but `/health` needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Mount point, e.g. `/shiftwork`. */
  basePath?: string;
  /** Largest request body, bytes (413 beyond). Default 1 MiB. */
  maxBodyBytes?: number;
}

/** A JSON error body: `{ error: { message, issues? } }`. */
function fail(status: 400 | 401 | 404 | 409 | 413 | 422 | 500, message: string, issues?: Issue[]) {
  return Response.json({ error: { message, ...(issues ? { issues } : {}) } }, { status });
}

/** Enqueue options are top-level fields of a request: say `delay`, not `options.delay`. */
const bodyPath = (path: string) => path.replace(/(^|\.)options\./, "$1").replace(/^\./, "");

function errorResponse(error: unknown): Response {
  // Only bearer auth throws hono's HTTPException here: a missing, malformed (hono's 400) or wrong
  // token is one 401 that says nothing about why.
  if (error instanceof HTTPException) return fail(401, "unauthorized");
  if (error instanceof ValidationError) {
    const issues = error.issues.map((issue) => ({ ...issue, path: bodyPath(issue.path) }));
    return fail(400, error.message, issues);
  }
  if (error instanceof UnknownJobError) return fail(422, error.message);
  if (error instanceof JobNotFoundError) return fail(404, error.message);
  if (error instanceof JobStateError) return fail(409, error.message);
  if (error instanceof ShiftworkError && /held by job/.test(error.message))
    return fail(409, error.message);
  return fail(500, error instanceof Error ? error.message : "internal error");
}

async function readJson(
  request: Request,
): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  try {
    return { ok: true, body: await request.json() };
  } catch {
    return {
      ok: false,
      response: fail(400, "body: expected JSON", [
        { path: "body", message: "does not parse as JSON" },
      ]),
    };
  }
}

function check<S extends v.GenericSchema>(schema: S, value: unknown, root: string) {
  const result = v.safeParse(schema, value);
  return result.success
    ? ({ ok: true, value: result.output } as const)
    : ({
        ok: false,
        response: fail(400, `invalid ${root}`, toIssues(root, result.issues)),
      } as const);
}

const split = ({
  name,
  input,
  ...options
}: v.InferOutput<typeof jobRequestSchema>): EnqueueItem => ({
  name,
  input,
  options: options as EnqueueOptions,
});

/**
 * The HTTP API over a Manager, as a hono app: serve it with `serve` on Node, `Bun.serve` on Bun, or
 * as a Worker's `fetch`. Every body and query is checked with valibot; nothing is stored for a
 * rejected request.
 */
export function createApp(manager: ManagerLike, options: AppOptions = {}): Hono {
  const app = options.basePath ? new Hono().basePath(options.basePath) : new Hono();
  app.get("/health", (c) => c.json({ ok: true }));
  if (options.token) {
    // Compared in constant time by hono's bearer auth; the 401 says nothing about the token.
    const auth = bearerAuth({ token: options.token });
    app.use("*", async (c, next) => (c.req.path.endsWith("/health") ? next() : auth(c, next)));
  }
  app.use(
    "*",
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 1024 * 1024,
      onError: () => fail(413, "body: too large"),
    }),
  );
  app.onError((error) => errorResponse(error));

  app.post("/jobs", async (c) => {
    const read = await readJson(c.req.raw);
    if (!read.ok) return read.response;
    const checked = check(jobRequestSchema, read.body, "body");
    if (!checked.ok) return checked.response;
    const { name, input, options: enqueueOptions } = split(checked.value);
    return c.json(await manager.enqueue(name, input, enqueueOptions), 201);
  });
  app.post("/jobs/batch", async (c) => {
    const read = await readJson(c.req.raw);
    if (!read.ok) return read.response;
    const checked = check(batchRequestSchema, read.body, "body");
    if (!checked.ok) return checked.response;
    return c.json({ jobs: await manager.enqueueMany(checked.value.jobs.map(split)) }, 201);
  });
  app.get("/jobs", async (c) => {
    const checked = check(listQuerySchema, c.req.query(), "query");
    if (!checked.ok) return checked.response;
    return c.json(await manager.list(checked.value as ListOptions));
  });
  app.get("/jobs/:id", async (c) => {
    const job = await manager.get(c.req.param("id"));
    return job ? c.json(job) : fail(404, `job "${c.req.param("id")}" not found`);
  });
  app.post("/jobs/:id/cancel", async (c) =>
    c.json(await manager.cancel(c.req.param("id"), "cancelled over HTTP")),
  );
  app.post("/jobs/:id/retry", async (c) => c.json(await manager.retry(c.req.param("id"))));
  app.get("/queues", async (c) => c.json(await manager.stats()));
  app.post("/queues/:queue/pause", async (c) => {
    await manager.pause(c.req.param("queue"));
    return c.json({ queue: c.req.param("queue"), paused: true });
  });
  app.post("/queues/:queue/resume", async (c) => {
    await manager.resume(c.req.param("queue"));
    return c.json({ queue: c.req.param("queue"), paused: false });
  });
  app.get("/workers", (c) => c.json((manager.workers?.() ?? []).map((w) => w.toJSON())));
  app.get("/stats", async (c) => {
    const queues = await manager.stats();
    const total = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const q of queues)
      for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += q[k];
    return c.json({ total, queues });
  });
  return app;
}
