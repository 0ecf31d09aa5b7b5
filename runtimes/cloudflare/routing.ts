/**
 * Which queue object serves what: a queue is one object, or `<queue>@<n>` shards of it; a job id
 * names its object (`<queue>[@n]~<seq>`); a key always maps to the same shard.
 * @module
 */
import { queueOfId } from "../../adapters/durable-object.js";
import { ApiError } from "../../src/http/respond.js";
import type { ListOptions } from "../../src/manager.js";
import { byQueueName, type QueueStats } from "../../src/ports.js";
import type { RpcResult } from "./queue-object.js";

/** The namespace binding of the queue objects, as far as the Worker uses it. */
export interface QueueNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): QueueStub;
}

/** The RPC surface of a queue object. */
export interface QueueStub {
  enqueue(name: string, input: unknown, options?: unknown): Promise<RpcResult<unknown>>;
  enqueueMany(items: unknown[]): Promise<RpcResult<unknown[]>>;
  get(id: string): Promise<RpcResult<unknown>>;
  list(query: ListOptions): Promise<RpcResult<unknown>>;
  cancel(id: string, reason?: string): Promise<RpcResult<unknown>>;
  retry(id: string): Promise<RpcResult<unknown>>;
  pause(): Promise<RpcResult<unknown>>;
  resume(): Promise<RpcResult<unknown>>;
  stats(): Promise<RpcResult<QueueStats[]>>;
  /** The object's own HTTP surface: `GET /events`. */
  fetch(input: string | Request): Promise<Response>;
}

const QUEUE_RE = /^[A-Za-z0-9_.:-]{1,100}$/;
const OBJECT_RE = /^[A-Za-z0-9_.:-]{1,100}(@\d{1,4})?$/;
const COUNTS = ["waiting", "delayed", "active", "completed", "failed", "cancelled"] as const;

/** A small stable hash (FNV-1a) of a key, to pick its shard. */
function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** The routing of one Worker environment. */
export function queueRouting(
  env: Record<string, unknown>,
  options: { binding?: string; shards?: Record<string, number> },
) {
  const binding = options.binding ?? "JOBS";
  const shardCount = (queue: string) => Math.max(1, Math.floor(options.shards?.[queue] ?? 1));
  const checkQueue = (queue: string) => {
    if (!QUEUE_RE.test(queue)) {
      throw new ApiError(400, "queue: not a valid queue name", [
        { path: "queue", message: "use letters, digits and _ . : - only" },
      ]);
    }
  };
  return {
    checkQueue,
    /** The stub of the object named `object`. */
    stub(object: string): QueueStub {
      const namespace = env[binding] as QueueNamespace | undefined;
      if (!namespace)
        throw new Error(`[shiftwork] [cloudflare] no Durable Object binding "${binding}"`);
      return namespace.get(namespace.idFromName(object));
    },
    /** The objects that hold a queue: itself, or each of its shards. */
    objectsOf(queue: string): string[] {
      checkQueue(queue);
      const n = shardCount(queue);
      return n === 1 ? [queue] : Array.from({ length: n }, (_, i) => `${queue}@${i}`);
    },
    /** The object a new job goes to: its key's shard, else the shard `pick` (0..1) lands on. */
    objectFor(queue: string, key: unknown, pick = Math.random()): string {
      checkQueue(queue);
      const n = shardCount(queue);
      if (n === 1) return queue;
      const shard = typeof key === "string" ? hashKey(key) % n : Math.floor(pick * n);
      return `${queue}@${shard}`;
    },
    /** The object a job id names, or `undefined` for an id no object can hold. */
    objectOfId(id: string): string | undefined {
      const object = queueOfId(id);
      return object && OBJECT_RE.test(object) ? object : undefined;
    },
    /** One row per queue, summed over its shards; paused only if every shard is. */
    mergeStats(rows: QueueStats[]): QueueStats[] {
      const merged = new Map<string, QueueStats>();
      for (const row of rows) {
        const into = merged.get(row.queue);
        if (!into) merged.set(row.queue, { ...row });
        else {
          for (const k of COUNTS) into[k] += row[k];
          into.paused &&= row.paused;
        }
      }
      return [...merged.values()].sort(byQueueName);
    },
  };
}
