import { DurableObject } from "cloudflare:workers";
import type { Hono } from "hono";
import { durableObjectStorage } from "../../adapters/durable-object.js";
import type { EnqueueItem } from "../../src/_enqueue.js";
import { ShiftworkError, UnknownJobError, ValidationError } from "../../src/errors.js";
import { createApp } from "../../src/http/app.js";
import {
  createManager,
  type JobModule,
  type ListOptions,
  type Manager,
} from "../../src/manager.js";
import type { EnqueueOptions } from "../../src/options.js";
import type { JobPage, JobRecord, QueueStats } from "../../src/ports.js";
import { type AlarmScheduler, alarmScheduler } from "./alarm-scheduler.js";
import type { RunnerBinding } from "./fan-out.js";

/**
 * The state the Workers runtime hands a Durable Object. Taken from the `DurableObject` constructor:
 * `@cloudflare/workers-types` declares it as a global, not as an export of `cloudflare:workers`.
 */
export type QueueObjectState = ConstructorParameters<typeof DurableObject>[0];

/** Options of {@link queueObject}. */
export interface QueueObjectOptions {
  /** The job module: the same file Node and Bun run. */
  jobs: JobModule;
  /** Jobs run at once in one object (inline, async). Default 4. */
  concurrency?: number;
  /** Lease of a claimed job; after an eviction its jobs come back once it runs out. Default 30s. */
  lease?: number | string;
  /** How often the object looks for expired leases. Default 5s. */
  rescueInterval?: number | string;
  /**
   * Name of a service binding to a {@link jobRunner} entrypoint: each job then runs in its own
   * stateless Worker invocation (fan-out), not inline in the object. Use it for CPU-heavy jobs.
   */
  runner?: string;
}

/** An error that crossed the RPC boundary as data (classes do not survive it). */
export interface RpcError {
  error: {
    status: 400 | 404 | 409 | 422 | 500;
    message: string;
    issues?: { path: string; message: string }[];
  };
}

/** What an RPC call answers: a value, or an error as data. */
export type RpcResult<T> = { ok: T } | RpcError;

function asRpcError(error: unknown): RpcError {
  if (error instanceof ValidationError)
    return { error: { status: 400, message: error.message, issues: error.issues } };
  if (error instanceof UnknownJobError) {
    const issues = [{ path: error.path, message: `unknown job "${error.jobName}"` }];
    return { error: { status: 422, message: error.message, issues } };
  }
  if (error instanceof ShiftworkError && /not found/.test(error.message))
    return { error: { status: 404, message: error.message } };
  if (error instanceof ShiftworkError && /cannot (cancel|retry)/.test(error.message)) {
    return { error: { status: 409, message: error.message } };
  }
  return {
    error: { status: 500, message: error instanceof Error ? error.message : String(error) },
  };
}

/** What a queue object serves: its Manager, its alarm, and the verbs a Worker calls over RPC. */
export interface QueueObjectApi {
  readonly manager: Manager;
  /** The queue this object serves (its name without a shard suffix). */
  readonly queue: string;
  alarm(): Promise<void>;
  enqueue(
    name: string,
    input: unknown,
    enqueueOptions?: EnqueueOptions,
  ): Promise<RpcResult<JobRecord>>;
  enqueueMany(items: EnqueueItem[]): Promise<RpcResult<JobRecord[]>>;
  /** The object's own HTTP surface, reached through its stub: `GET /events`. */
  fetch(request: Request): Promise<Response>;
  get(id: string): Promise<RpcResult<JobRecord | null>>;
  list(query: ListOptions): Promise<RpcResult<JobPage>>;
  cancel(id: string, reason?: string): Promise<RpcResult<JobRecord>>;
  retry(id: string): Promise<RpcResult<JobRecord>>;
  pause(): Promise<RpcResult<null>>;
  resume(): Promise<RpcResult<null>>;
  stats(): Promise<RpcResult<QueueStats[]>>;
}

/**
 * The class {@link queueObject} returns: a `DurableObject` serving {@link QueueObjectApi}. Named,
 * so the published declarations (and JSR) need not spell out an anonymous class.
 */
export type QueueObjectClass = new (
  ctx: QueueObjectState,
  env: unknown,
) => DurableObject & QueueObjectApi;

/**
 * Makes the Durable Object class that is the Manager of one queue (the object's name). Its storage
 * is the object's SQLite, its wake-up slot the object's alarm; jobs run inline in the object.
 *
 * @example
 * export class JobQueue extends queueObject({ jobs }) {}
 */
export function queueObject(options: QueueObjectOptions): QueueObjectClass {
  return class QueueObject extends DurableObject implements QueueObjectApi {
    readonly manager: Manager;
    /** The queue this object serves (its name without a shard suffix). */
    readonly queue: string;
    readonly #scheduler: AlarmScheduler;
    readonly #ready: Promise<void>;
    #events: Hono | undefined;

    constructor(ctx: QueueObjectState, env: unknown) {
      super(ctx, env);
      // The object's name is its queue, or `<queue>@<shard>` for one shard of a sharded queue.
      const name = ctx.id.name ?? "default";
      const queue = name.split("@")[0] as string;
      this.queue = queue;
      const runner = options.runner
        ? (env as Record<string, RunnerBinding>)[options.runner]
        : undefined;
      if (options.runner && !runner) {
        throw new ShiftworkError(
          `[shiftwork] [cloudflare] runner: no service binding "${options.runner}"`,
        );
      }
      this.#scheduler = alarmScheduler(ctx.storage, Date.now, runner);
      this.manager = createManager({
        storage: durableObjectStorage(ctx.storage, { queue: name }),
        scheduler: this.#scheduler,
        jobs: options.jobs,
        workers: { [queue]: options.concurrency ?? 4 },
        ...(options.lease === undefined ? {} : { lease: options.lease }),
        ...(options.rescueInterval === undefined ? {} : { rescueInterval: options.rescueInterval }),
      });
      this.#ready = ctx.blockConcurrencyWhile(() => this.manager.start());
    }

    /** The alarm: claim what is due, and stay awake while jobs run (an idle object may be evicted). */
    async alarm(): Promise<void> {
      await this.#ready;
      this.#scheduler.fire();
      await this.manager.wake();
    }

    async #answer<T>(work: () => Promise<T>, stayForJobs = false): Promise<RpcResult<T>> {
      try {
        await this.#ready;
        const ok = await work();
        // A job due now runs during this request rather than after an alarm round trip.
        if (stayForJobs) this.ctx.waitUntil(this.manager.wake());
        return { ok };
      } catch (error) {
        return asRpcError(error);
      }
    }

    enqueue(
      name: string,
      input: unknown,
      enqueueOptions?: EnqueueOptions,
    ): Promise<RpcResult<JobRecord>> {
      return this.#answer(
        () => this.manager.enqueue(name as never, input as never, enqueueOptions),
        true,
      );
    }

    /** Jobs stored all or nothing, in this object's SQLite. */
    enqueueMany(items: EnqueueItem[]): Promise<RpcResult<JobRecord[]>> {
      return this.#answer(() => this.manager.enqueueMany(items), true);
    }

    /** The object's own HTTP surface, reached through its stub: `GET /events` of its Manager. */
    async fetch(request: Request): Promise<Response> {
      await this.#ready;
      this.#events ??= createApp(this.manager, { dashboard: false });
      return this.#events.fetch(request);
    }

    get(id: string): Promise<RpcResult<JobRecord | null>> {
      return this.#answer(() => this.manager.get(id));
    }

    list(query: ListOptions): Promise<RpcResult<JobPage>> {
      return this.#answer(() => this.manager.list(query));
    }

    cancel(id: string, reason?: string): Promise<RpcResult<JobRecord>> {
      return this.#answer(() => this.manager.cancel(id, reason));
    }

    retry(id: string): Promise<RpcResult<JobRecord>> {
      return this.#answer(() => this.manager.retry(id), true);
    }

    pause(): Promise<RpcResult<null>> {
      return this.#answer(async () => {
        await this.manager.pause(this.queue);
        return null;
      });
    }

    resume(): Promise<RpcResult<null>> {
      return this.#answer(async () => {
        await this.manager.resume(this.queue);
        return null;
      }, true);
    }

    stats(): Promise<RpcResult<QueueStats[]>> {
      return this.#answer(() => this.manager.stats());
    }
  };
}
