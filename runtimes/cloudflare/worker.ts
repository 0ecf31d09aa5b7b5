import { Hono } from "hono";
import { queueOfId } from "../../adapters/durable-object.js";
import { collectJobs } from "../../src/define.js";
import type { JobModule } from "../../src/manager.js";
import type { RpcResult } from "./queue-object.js";

/** The namespace binding of the queue objects, as far as the Worker uses it. */
export interface QueueNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): QueueStub;
}

/** The RPC surface of a queue object. */
export interface QueueStub {
  enqueue(name: string, input: unknown, options?: unknown): Promise<RpcResult<unknown>>;
  get(id: string): Promise<RpcResult<unknown>>;
  pause(): Promise<RpcResult<unknown>>;
  resume(): Promise<RpcResult<unknown>>;
  stats(): Promise<RpcResult<unknown>>;
}

/** Options of {@link queueWorker}. */
export interface QueueWorkerOptions {
  jobs: JobModule;
  /** Name of the Durable Object binding in `wrangler.toml`. Default `JOBS`. */
  binding?: string;
}

const QUEUE_RE = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * The Worker in front of the queue objects: routes `/jobs` and `/queues/:queue/...` to the object
 * named after the queue (job ids carry it: `<queue>~<seq>`). The full HTTP API and dashboard come
 * with the HTTP issue; this serves enqueue, get, pause, resume and stats.
 */
export function queueWorker(options: QueueWorkerOptions) {
  const definitions = collectJobs(options.jobs as never);
  const binding = options.binding ?? "JOBS";
  type Env = Record<string, QueueNamespace>;
  const stub = (env: Env, queue: string) => {
    const namespace = env[binding];
    if (!namespace)
      throw new Error(`[shiftwork] [cloudflare] no Durable Object binding "${binding}"`);
    return namespace.get(namespace.idFromName(queue));
  };
  const reply = (result: RpcResult<unknown>, status = 200) =>
    "ok" in result
      ? Response.json(result.ok, { status })
      : Response.json({ error: result.error }, { status: result.error.status });

  const app = new Hono<{ Bindings: Env }>();
  app.post("/jobs", async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as
      | { name?: unknown; input?: unknown; queue?: unknown; [option: string]: unknown }
      | undefined;
    if (!body || typeof body !== "object") {
      return c.json({ error: { message: "body: expected a JSON object" } }, 400);
    }
    const { name, input, queue, ...enqueueOptions } = body;
    if (typeof name !== "string")
      return c.json({ error: { message: "name: expected a job name" } }, 400);
    const definition = definitions.get(name);
    if (!definition) return c.json({ error: { message: `name: unknown job "${name}"` } }, 422);
    const target = typeof queue === "string" ? queue : (definition.queue ?? "default");
    if (!QUEUE_RE.test(target))
      return c.json({ error: { message: "queue: not a valid queue name" } }, 400);
    // The object is the queue: it need not be told again.
    return reply(
      await stub(c.env, target).enqueue(name, input, { ...enqueueOptions, queue: target }),
      201,
    );
  });
  app.get("/jobs/:id", async (c) => {
    const id = c.req.param("id");
    const queue = queueOfId(id);
    if (!queue || !QUEUE_RE.test(queue))
      return c.json({ error: { message: `job "${id}" not found` } }, 404);
    const result = await stub(c.env, queue).get(id);
    if ("ok" in result && result.ok === null)
      return c.json({ error: { message: `job "${id}" not found` } }, 404);
    return reply(result);
  });
  for (const verb of ["pause", "resume"] as const) {
    app.post(`/queues/:queue/${verb}`, async (c) => {
      const queue = c.req.param("queue");
      if (!QUEUE_RE.test(queue))
        return c.json({ error: { message: "queue: not a valid queue name" } }, 400);
      return reply(await stub(c.env, queue)[verb]());
    });
  }
  app.get("/queues/:queue", async (c) => {
    const queue = c.req.param("queue");
    if (!QUEUE_RE.test(queue))
      return c.json({ error: { message: "queue: not a valid queue name" } }, 400);
    return reply(await stub(c.env, queue).stats());
  });
  app.get("/health", (c) => c.json({ ok: true }));
  return app;
}
