import type { Hono } from "hono";
import type { EnqueueItem } from "../../src/_enqueue.js";
import { collectJobs } from "../../src/define.js";
import { UnknownJobError } from "../../src/errors.js";
import { type AppOptions, createApp, type ManagerLike } from "../../src/http/app.js";
import { ApiError, bodyPath } from "../../src/http/respond.js";
import type { JobModule } from "../../src/manager.js";
import type { EnqueueOptions } from "../../src/options.js";
import type { JobPage, JobRecord } from "../../src/ports.js";
import { mergeEventStreams } from "./fan-in.js";
import { decodeCursor, encodeCursor, mergePages } from "./pages.js";
import type { RpcResult } from "./queue-object.js";
import { queueRouting } from "./routing.js";

export type { QueueNamespace, QueueStub } from "./routing.js";

/** The Worker's bindings, as {@link queueWorker} sees them: its queue objects' namespace by name. */
export type QueueWorkerEnv = Record<string, unknown>;

/** What {@link queueWorker} returns: a Worker's default export. */
export interface QueueWorker {
  fetch(request: Request, env: QueueWorkerEnv, ctx?: unknown): Promise<Response>;
}

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
  /**
   * The queues that queue-wide routes (`GET /queues`, `GET /stats`, `GET /jobs` and `GET /events`
   * without a queue) fan out over, besides those the job module names. Objects are found by
   * name only, so a queue used through the `queue` option alone must be listed here to be seen.
   */
  queues?: readonly string[];
  /** Name of the secret (env var) holding the API token. Default `SHIFTWORK_TOKEN`; unset, no token. */
  tokenSecret?: string;
  /** Mount point of the API and dashboard, e.g. `/jobs-admin`. */
  basePath?: string;
}

/** An RPC answer's value, or its error rethrown with its status. */
function unwrap<T>(result: RpcResult<T>): T {
  if ("ok" in result) return result.ok;
  // The object's Manager reported these about the request body (enqueue input and options).
  const issues = result.error.issues?.map((issue) => ({ ...issue, path: bodyPath(issue.path) }));
  throw new ApiError(result.error.status, result.error.message, issues);
}

/**
 * The Worker in front of the queue objects: the whole HTTP API and dashboard of `shiftwork/http`,
 * over a {@link ManagerLike} that routes each call to the object of its queue (job ids carry it:
 * `<queue>~<seq>`) and fans queue-wide calls out over every configured queue and shard.
 */
export function queueWorker(options: QueueWorkerOptions): QueueWorker {
  const definitions = collectJobs(options.jobs as never);
  const known = new Set(options.queues ?? []);
  for (const definition of definitions.values()) known.add(definition.queue ?? "default");
  known.add("default");
  const tokenSecret = options.tokenSecret ?? "SHIFTWORK_TOKEN";
  const apps = new WeakMap<object, Hono>();

  /** The ManagerLike of one Worker environment. */
  function managerFor(env: Record<string, unknown>): ManagerLike {
    const route = queueRouting(env, options);
    const stub = route.stub;
    const everyObject = () => [...known].flatMap(route.objectsOf);
    const objectOfJob = (id: string) => {
      const object = route.objectOfId(id);
      if (!object) throw new ApiError(404, `job "${id}" not found`);
      return object;
    };
    /** The queue a job goes to; `path` is the field that named the job, should it be unknown. */
    const queueOf = (name: string, queue: unknown, path = "name") => {
      const definition = definitions.get(name);
      if (!definition) throw new UnknownJobError(name, path);
      return typeof queue === "string" ? queue : (definition.queue ?? "default");
    };
    return {
      async enqueue(name: string, input: unknown, enqueueOptions: EnqueueOptions = {}) {
        const queue = queueOf(name, enqueueOptions.queue);
        const object = route.objectFor(queue, enqueueOptions.key);
        const job = unwrap(await stub(object).enqueue(name, input, { ...enqueueOptions, queue }));
        return job as JobRecord;
      },
      async enqueueMany(items: readonly EnqueueItem[]) {
        // All or nothing holds inside one object's SQLite: a batch goes to one object.
        const pick = Math.random(); // keyless jobs of one batch share a shard
        const objects = new Set(
          items.map((item, i) => {
            const queue = queueOf(item.name, item.options?.queue, `jobs[${i}].name`);
            return route.objectFor(queue, item.options?.key, pick);
          }),
        );
        if (objects.size > 1) {
          throw new ApiError(400, "body.jobs: on Cloudflare a batch must go to one queue (shard)", [
            { path: "body.jobs", message: `spans ${[...objects].join(", ")}` },
          ]);
        }
        const [object] = objects;
        const withQueues = items.map((item) => ({
          ...item,
          options: { ...item.options, queue: queueOf(item.name, item.options?.queue) },
        }));
        return unwrap(await stub(object as string).enqueueMany(withQueues)) as JobRecord[];
      },
      async get(id) {
        const object = route.objectOfId(id);
        if (!object) return null;
        return unwrap(await stub(object).get(id)) as JobRecord | null;
      },
      async list(query) {
        const objects = query.queue ? route.objectsOf(query.queue) : everyObject();
        const { cursor: given, ...filters } = query;
        const limit = filters.limit ?? 50;
        const cursors = decodeCursor(given, objects);
        const pages = await Promise.all(
          [...cursors].map(async ([object, cursor]) => {
            const page = unwrap(
              await stub(object).list({
                ...filters,
                limit,
                ...(cursor === undefined ? {} : { cursor }),
              }),
            ) as JobPage;
            return { object, page, ...(cursor === undefined ? {} : { cursor }) };
          }),
        );
        const merged = mergePages(pages, limit);
        return { jobs: merged.jobs, nextCursor: encodeCursor(merged.next) };
      },
      async cancel(id, reason) {
        return unwrap(await stub(objectOfJob(id)).cancel(id, reason)) as JobRecord;
      },
      async retry(id) {
        return unwrap(await stub(objectOfJob(id)).retry(id)) as JobRecord;
      },
      async pause(queue) {
        route.checkQueue(queue);
        const results = await Promise.all(route.objectsOf(queue).map((o) => stub(o).pause()));
        results.forEach(unwrap);
      },
      async resume(queue) {
        route.checkQueue(queue);
        const results = await Promise.all(route.objectsOf(queue).map((o) => stub(o).resume()));
        results.forEach(unwrap);
      },
      async stats() {
        const answers = await Promise.all(everyObject().map((o) => stub(o).stats()));
        return route.mergeStats(answers.flatMap(unwrap));
      },
      async events(filter) {
        const objects = filter.job
          ? [objectOfJob(filter.job)]
          : filter.queue
            ? route.objectsOf(filter.queue)
            : everyObject();
        const query = new URLSearchParams(filter as Record<string, string>).toString();
        const responses = await Promise.all(
          objects.map((object) => stub(object).fetch(`https://queue/events?${query}`)),
        );
        return mergeEventStreams(responses, filter);
      },
    };
  }

  return {
    /** The Worker's `fetch`: the API and dashboard over this environment's queue objects. */
    fetch(request: Request, env: QueueWorkerEnv, ctx?: unknown): Promise<Response> {
      let app = apps.get(env);
      if (!app) {
        const token = env[tokenSecret];
        const appOptions: AppOptions = {
          ...(typeof token === "string" && token ? { token } : {}),
          ...(options.basePath ? { basePath: options.basePath } : {}),
        };
        app = createApp(managerFor(env), appOptions);
        apps.set(env, app);
      }
      return Promise.resolve(app.fetch(request, env, ctx as never));
    },
  };
}
