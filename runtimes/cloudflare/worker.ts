import { Hono } from "hono";
import { queueOfId } from "../../adapters/durable-object.js";
import { collectJobs } from "../../src/define.js";
import type { JobModule } from "../../src/manager.js";
import type { QueueStats } from "../../src/ports.js";
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

/** The Worker's bindings, as {@link queueWorker} sees them: its queue objects' namespace by name. */
export type QueueWorkerEnv = Record<string, QueueNamespace>;

/** Options of {@link queueWorker}. */
export interface QueueWorkerOptions {
  jobs: JobModule;
  /** Name of the Durable Object binding in `wrangler.toml`. Default `JOBS`. */
  binding?: string;
  /**
   * Queues spread over several objects: `{ images: 8 }` makes objects `images@0` … `images@7`. A job
   * with a `key` always goes to the shard of its key (so unique keys hold); others to any shard.
   */
  shards?: Record<string, number>;
}

const QUEUE_RE = /^[A-Za-z0-9_.:-]{1,100}$/;
const OBJECT_RE = /^[A-Za-z0-9_.:-]{1,100}(@\d{1,4})?$/;

/** A small stable hash (FNV-1a) of a key, to pick its shard. */
function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * The Worker in front of the queue objects: routes `/jobs` and `/queues/:queue/...` to the object
 * named after the queue (job ids carry it: `<queue>~<seq>`). The full HTTP API and dashboard come
 * with the HTTP issue; this serves enqueue, get, pause, resume and stats.
 */
export function queueWorker(options: QueueWorkerOptions): Hono<{ Bindings: QueueWorkerEnv }> {
  const definitions = collectJobs(options.jobs as never);
  const binding = options.binding ?? "JOBS";
  type Env = QueueWorkerEnv;
  const stub = (env: Env, queue: string) => {
    const namespace = env[binding];
    if (!namespace)
      throw new Error(`[shiftwork] [cloudflare] no Durable Object binding "${binding}"`);
    return namespace.get(namespace.idFromName(queue));
  };
  const shardCount = (queue: string) => Math.max(1, Math.floor(options.shards?.[queue] ?? 1));
  /** The objects that hold a queue: itself, or each of its shards. */
  const objectsOf = (queue: string) => {
    const n = shardCount(queue);
    return n === 1 ? [queue] : Array.from({ length: n }, (_, i) => `${queue}@${i}`);
  };
  const objectFor = (queue: string, key: unknown) => {
    const n = shardCount(queue);
    if (n === 1) return queue;
    const shard = typeof key === "string" ? hashKey(key) % n : Math.floor(Math.random() * n);
    return `${queue}@${shard}`;
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
    const object = objectFor(target, enqueueOptions.key);
    const result = await stub(c.env, object).enqueue(name, input, {
      ...enqueueOptions,
      queue: target,
    });
    return reply(result, 201);
  });
  app.get("/jobs/:id", async (c) => {
    const id = c.req.param("id");
    // The id names its object: the queue, or the queue's shard (`images@3~42`).
    const object = queueOfId(id);
    if (!object || !OBJECT_RE.test(object))
      return c.json({ error: { message: `job "${id}" not found` } }, 404);
    const result = await stub(c.env, object).get(id);
    if ("ok" in result && result.ok === null)
      return c.json({ error: { message: `job "${id}" not found` } }, 404);
    return reply(result);
  });
  // Queue-wide routes go to every object of the queue (each shard).
  for (const verb of ["pause", "resume"] as const) {
    app.post(`/queues/:queue/${verb}`, async (c) => {
      const queue = c.req.param("queue");
      if (!QUEUE_RE.test(queue))
        return c.json({ error: { message: "queue: not a valid queue name" } }, 400);
      const results = await Promise.all(
        objectsOf(queue).map((object) => stub(c.env, object)[verb]()),
      );
      return reply(results.find((r) => !("ok" in r)) ?? { ok: null });
    });
  }
  app.get("/queues/:queue", async (c) => {
    const queue = c.req.param("queue");
    if (!QUEUE_RE.test(queue))
      return c.json({ error: { message: "queue: not a valid queue name" } }, 400);
    const results = await Promise.all(
      objectsOf(queue).map((object) => stub(c.env, object).stats()),
    );
    const failed = results.find((r) => !("ok" in r));
    if (failed) return reply(failed);
    // One row per queue, summed over its shards; paused only if every shard is.
    const rows = results.flatMap((r) => ("ok" in r ? (r.ok as QueueStats[]) : []));
    const merged = new Map<string, QueueStats>();
    for (const row of rows) {
      const into = merged.get(row.queue);
      if (!into) merged.set(row.queue, { ...row });
      else {
        for (const k of [
          "waiting",
          "delayed",
          "active",
          "completed",
          "failed",
          "cancelled",
        ] as const)
          into[k] += row[k];
        into.paused &&= row.paused;
      }
    }
    return c.json([...merged.values()]);
  });
  app.get("/health", (c) => c.json({ ok: true }));
  return app;
}
