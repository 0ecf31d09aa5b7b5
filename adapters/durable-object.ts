/**
 * Storage over a Durable Object's SQLite (`ctx.storage.sql`): the libSQL adapter's SQL core, each
 * verb in one `transactionSync`. Job ids carry the object's queue (`<queue>~<seq>`), so a Worker can
 * route `GET /jobs/:id` to the right object.
 * @module
 */
import type { Storage } from "../src/ports.js";
import {
  type Again,
  type Query,
  type QueryResult,
  type Row,
  runVerbSync,
  type SqlEngine,
  transactSync,
  type Verb,
} from "./_sql/driver.js";
import { sqlStorage } from "./_sql/storage.js";
import type { IdCodec } from "./_sql/verbs.js";

/** The part of `DurableObjectStorage` this adapter uses. */
export interface DurableObjectSqlStorage {
  sql: { exec(query: string, ...bindings: unknown[]): { toArray(): unknown[] } };
  transactionSync<T>(closure: () => T): T;
}

/** Options of {@link durableObjectStorage}. */
export interface DurableObjectStorageOptions {
  /** The queue (or `<queue>@<shard>`) this object holds; it prefixes every job id. */
  queue: string;
}

/** Ids `<queue>~<seq>`: the queue tells a Worker which object holds the job. */
export function queueIds(queue: string): IdCodec {
  const prefix = `${queue}~`;
  return {
    idOf: (seq) => `${prefix}${seq}`,
    seqOf: (id) => {
      if (!id.startsWith(prefix)) return null;
      const rest = id.slice(prefix.length);
      return /^[1-9]\d{0,15}$/.test(rest) ? Number(rest) : null;
    },
  };
}

/** The queue a job id belongs to, or `undefined` when it carries none. */
export function queueOfId(id: string): string | undefined {
  const at = id.lastIndexOf("~");
  return at > 0 ? id.slice(0, at) : undefined;
}

function durableObjectEngine(storage: DurableObjectSqlStorage): SqlEngine {
  const exec = ({ sql, args }: Query): QueryResult => {
    const rows = storage.sql.exec(sql, ...args).toArray() as Row[];
    return { rows };
  };
  return {
    name: "durable-object",
    // The object's SQLite is synchronous: the whole verb runs in one transaction, no awaits.
    transaction<T>(_mode: "read" | "write", verb: () => Verb<T>, again?: Again<T>): T {
      return transactSync(
        (v) => storage.transactionSync(() => runVerbSync(v(), exec)),
        verb,
        again,
      );
    },
  };
}

/**
 * Creates a Storage on a Durable Object's SQLite. Answers synchronously.
 *
 * @example
 * const storage = durableObjectStorage(ctx.storage, { queue: "email" });
 */
export function durableObjectStorage(
  storage: DurableObjectSqlStorage,
  options: DurableObjectStorageOptions,
): Storage {
  return {
    ...sqlStorage(durableObjectEngine(storage), queueIds(options.queue)),
    // Only this object writes its SQLite, and every write that can make work claimable (an
    // enqueue, a retry, a result) goes through its Manager, which pumps after it: there is never
    // another writer to hear about. Without `subscribe`, the Manager would poll every second and
    // an idle object would never go without an alarm.
    subscribe: () => () => {},
  };
}
