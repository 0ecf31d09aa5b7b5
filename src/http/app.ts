import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type * as v from "valibot";
import type { EnqueueItem } from "../_enqueue.js";
import { JobNotFoundError } from "../errors.js";
import type { LiveEvent } from "../events.js";
import type { EnqueueOptions } from "../options.js";
import type { JobRecord, QueueStats } from "../ports.js";
import { dashboard } from "./dashboard/routes.js";
import { guard } from "./guard.js";
import { openApiDocument } from "./openapi.js";
import {
  check,
  checkQuery,
  errorResponse,
  fail,
  named,
  publicJob,
  readJsonObject,
} from "./respond.js";
import {
  batchRequestSchema,
  eventsQuerySchema,
  jobRequestSchema,
  listQuerySchema,
} from "./schemas.js";
import { eventStream } from "./sse.js";

/** `GET /jobs` filters as the API passes them on; `cursor` is what a previous page returned. */
export interface ApiListQuery {
  state?: JobRecord["state"];
  name?: string;
  queue?: string;
  limit?: number;
  cursor?: string;
}

/**
 * What the HTTP app needs from a Manager: small enough that a Durable Object stub, or a Manager in
 * another process, can stand in for it. A `Manager` satisfies it.
 */
export interface ManagerLike {
  enqueue(name: string, input: unknown, options?: EnqueueOptions): Promise<JobRecord>;
  enqueueMany(items: readonly EnqueueItem[]): Promise<JobRecord[]>;
  get(id: string): Promise<JobRecord | null>;
  list(options: ApiListQuery): Promise<{ jobs: JobRecord[]; nextCursor: number | string | null }>;
  cancel(id: string, reason?: string): Promise<JobRecord>;
  retry(id: string): Promise<JobRecord>;
  pause(queue: string): Promise<void>;
  resume(queue: string): Promise<void>;
  stats(): Promise<QueueStats[]>;
  workers?(): { toJSON(): unknown }[];
  /** Job events as data, for `GET /events`; without it (and `events`) the route answers 501. */
  subscribe?(listener: (event: LiveEvent) => void): () => void;
  /** Serves `GET /events` itself, e.g. by merging the streams of several Durable Objects. */
  events?(filter: { queue?: string; job?: string }, request: Request): Promise<Response>;
}

/** Options of {@link createApp}. */
export interface AppOptions {
  /**
   * When set, every route but `/health` needs `Authorization: Bearer <token>`, or the dashboard's
   * session cookie that `POST /login` sets for this token.
   */
  token?: string;
  /** Mount point, e.g. `/shiftwork`. */
  basePath?: string;
  /** Largest request body, bytes (413 beyond). Default 1 MiB. */
  maxBodyBytes?: number;
  /** Host names the app answers to (a defence against DNS rebinding); others get 403. */
  hosts?: readonly string[];
  /** Serve the dashboard at `/` and `/dashboard`. Default true. */
  dashboard?: boolean;
}

/** The request fields of one job, split into the Manager's `(name, input, options)`. */
function split(body: v.InferInput<typeof jobRequestSchema>): EnqueueItem {
  const { name, input, ...options } = body;
  return { name, input, options: options as EnqueueOptions };
}

/**
 * The HTTP API over a Manager, as a hono app: serve it with `serve` on Node, `Bun.serve` on Bun, or
 * as a Worker's `fetch`. Every body and query is checked with valibot; nothing is stored for a
 * rejected request. See `GET /openapi.json` for the routes.
 */
export function createApp(manager: ManagerLike, options: AppOptions = {}): Hono {
  const basePath = (options.basePath ?? "").replace(/\/$/, "");
  const app = basePath ? new Hono().basePath(basePath) : new Hono();
  app.use("*", guard({ token: options.token, hosts: options.hosts, basePath }));
  app.use(
    "*",
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 1024 * 1024,
      onError: () => fail(413, "body: too large"),
    }),
  );
  app.onError((error) => errorResponse(error));
  app.notFound((c) => fail(404, `no route ${c.req.method} ${c.req.path}`));
  const openapi = openApiDocument({
    basePath,
    token: Boolean(options.token),
    hosts: Boolean(options.hosts),
  });

  app.get("/health", (c) => c.json({ ok: true }));
  app.get("/openapi.json", (c) => c.json(openapi));
  app.post("/jobs", async (c) => {
    const read = await readJsonObject(c.req.raw);
    if (!read.ok) return read.response;
    const checked = check(jobRequestSchema, read.body, "body");
    if (!checked.ok) return checked.response;
    // The Manager takes the fields as they came (it parses durations and dates itself).
    const { name, input, options: enqueueOptions } = split(read.body as never);
    return c.json(publicJob(await manager.enqueue(name, input, enqueueOptions)), 201);
  });
  app.post("/jobs/batch", async (c) => {
    const read = await readJsonObject(c.req.raw);
    if (!read.ok) return read.response;
    const checked = check(batchRequestSchema, read.body, "body");
    if (!checked.ok) return checked.response;
    const items = (read.body as { jobs: v.InferInput<typeof jobRequestSchema>[] }).jobs.map(split);
    return c.json({ jobs: (await manager.enqueueMany(items)).map(publicJob) }, 201);
  });
  app.get("/jobs", async (c) => {
    const checked = checkQuery(listQuerySchema, c.req.queries());
    if (!checked.ok) return checked.response;
    const page = await named("query", () => manager.list(checked.value));
    return c.json({
      jobs: page.jobs.map(publicJob),
      nextCursor: page.nextCursor === null ? null : String(page.nextCursor),
    });
  });
  // An id no job can have (a NUL in it) is a 400 naming `path.id`, as a queue name is.
  app.get("/jobs/:id", async (c) => {
    const job = await named("path", () => manager.get(c.req.param("id")));
    // The same words as a cancel or retry of a missing job (JobNotFoundError).
    return job ? c.json(publicJob(job)) : errorResponse(new JobNotFoundError(c.req.param("id")));
  });
  app.post("/jobs/:id/cancel", async (c) => {
    const job = await named("path", () => manager.cancel(c.req.param("id"), "cancelled over HTTP"));
    return c.json(publicJob(job));
  });
  app.post("/jobs/:id/retry", async (c) =>
    c.json(publicJob(await named("path", () => manager.retry(c.req.param("id"))))),
  );
  app.get("/queues", async (c) => c.json(await manager.stats()));
  app.post("/queues/:queue/pause", async (c) => {
    await named("path", () => manager.pause(c.req.param("queue")));
    return c.json({ queue: c.req.param("queue"), paused: true });
  });
  app.post("/queues/:queue/resume", async (c) => {
    await named("path", () => manager.resume(c.req.param("queue")));
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
  app.get("/events", (c) => {
    const checked = checkQuery(eventsQuerySchema, c.req.queries());
    if (!checked.ok) return checked.response;
    if (manager.events) return manager.events(checked.value, c.req.raw);
    if (!manager.subscribe) return fail(501, "this host does not stream events");
    return eventStream(c, manager.subscribe.bind(manager), checked.value);
  });
  if (options.dashboard !== false) {
    app.route("/", dashboard(manager, { basePath, token: options.token }));
  }
  return app;
}
