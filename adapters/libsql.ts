/**
 * libSQL Storage: an embedded file (the default), `:memory:`, or a remote Turso/sqld database.
 * Local files go through libSQL's synchronous binding (`libsql`), the fastest path; an injected
 * `@libsql/client` Client serves remote URLs (and `@libsql/client/web` in Workers).
 * @module
 */
import type { Client } from "@libsql/client";
import { ShiftworkError, StorageError } from "../src/errors.js";
import type { Storage } from "../src/ports.js";
import { type ChangeNotices, changeNotices, type WatchFolder } from "./_change-notices.js";
import { clientEngine } from "./_sql/client-engine.js";
import type { SqlEngine } from "./_sql/driver.js";
import { sqlStorage } from "./_sql/storage.js";
import { type SyncDatabase, syncEngine } from "./_sql/sync-engine.js";

/** Options of {@link libsqlStorage}: one of `url`, `client` or `database`. */
export interface LibsqlStorageOptions {
  /**
   * `file:./shiftwork.db` or `:memory:` (opened with the `libsql` binding), or `libsql://…` /
   * `https://…` (opened with `@libsql/client/web`, with `authToken`).
   */
  url?: string;
  authToken?: string;
  /** An `@libsql/client` Client you made (any URL). */
  client?: Client;
  /** A `libsql` Database you opened (the synchronous binding). */
  database?: SyncDatabase;
  /**
   * The file of `database`, if it is one: a subscribed Manager then watches it for other
   * processes' commits, as it does for a `file:` url.
   */
  path?: string;
  /**
   * `normal` (default): WAL with `synchronous=NORMAL` — every accepted enqueue and result survives a
   * process crash; a power loss can drop the last transactions before a checkpoint.
   * `full`: `synchronous=FULL` — survives a power loss too, at some write speed.
   */
  durability?: "normal" | "full";
  /** How long a writer waits for another process's lock before failing, ms. Default 5000. */
  busyTimeout?: number;
  /**
   * How often a subscribed Manager checks `PRAGMA data_version` for other processes' writes, ms.
   * The check reads one counter, not the jobs table. On a local file it also runs on each
   * file-system notice of a write to the database or its WAL (Node and Bun), so this poll is only
   * the fallback for file systems whose notices never arrive (network mounts): default 250. Where
   * no watch can run (a `database` without `path`, a failed watch) it is the only trigger: default
   * 10. A remote database has no such counter: a subscriber hears "maybe changed" about once a
   * second, or every `changePollInterval` if longer.
   */
  changePollInterval?: number;
  /**
   * Who copies the WAL back into a local database file. `background` (default on Node): a worker
   * thread shared by every storage of the process checkpoints each file soon after commits (a
   * PASSIVE checkpoint when `PRAGMA data_version` moved, checked every 100 ms while commits come,
   * up to 400 ms apart when idle), and this connection's own automatic checkpoint is raised from
   * 1000 to 10,000 pages as a safety net, so commits on the Manager's thread rarely pay a
   * checkpoint's copy and fsyncs (the WAL file can then grow to ~40 MiB under sustained writes).
   * `inline`: SQLite's default, a checkpoint inside the commit that crosses 1000 WAL pages.
   * Durability is the same either way. Only for a file opened with the `libsql` binding: a `file:`
   * url, or a `database` with its `path` (the thread opens its own `libsql` connection to that
   * path). Bun, Deno, a `client`, `:memory:`, or a thread that cannot start keep `inline`.
   */
  checkpoints?: "background" | "inline";
}

/** The libSQL Storage, with access to what it opened. */
export type LibsqlStorage = Storage & {
  /** The underlying engine (sync connection or client), once opened. */
  getInstance(): SqlEngine | undefined;
};

/**
 * Creates a libSQL Storage. The connection opens in `migrate()` (the Manager calls it in `start`).
 *
 * @example
 * const storage = libsqlStorage({ url: "file:./shiftwork.db" });
 */
export function libsqlStorage(options: LibsqlStorageOptions): LibsqlStorage {
  if (!options || (!options.url && !options.client && !options.database)) {
    throw new ShiftworkError("[shiftwork] [libsql] options: give one of url, client or database");
  }
  const durability = options.durability ?? "normal";
  if (durability !== "normal" && durability !== "full") {
    throw new ShiftworkError(
      `[shiftwork] [libsql] options.durability: expected "normal" or "full"`,
    );
  }
  const query = options.url === undefined ? undefined : localQuery(options.url);
  if (query) {
    // Dropping it would be worse than refusing it: `?mode=ro` would open the file read-write.
    throw new ShiftworkError(
      `[shiftwork] [libsql] options.url: a local file takes no query parameters (got "${query}"); set durability, busyTimeout or checkpoints in the options, or pass a database you opened`,
    );
  }
  const checkpoints = options.checkpoints ?? "background";
  if (checkpoints !== "background" && checkpoints !== "inline") {
    throw new ShiftworkError(
      `[shiftwork] [libsql] options.checkpoints: expected "background" or "inline"`,
    );
  }
  let engine: SqlEngine | undefined;
  let releaseCheckpoints: (() => Promise<void>) | undefined;
  let inner: ReturnType<typeof sqlStorage> | undefined;
  let opening: Promise<void> | undefined;
  let file: string | undefined;
  let watchFolder: WatchFolder | undefined;
  let notices: ChangeNotices | undefined;

  const open = async () => {
    file = options.url === undefined ? options.path : localPath(options.url);
    if (file === ":memory:" || file === "") file = undefined;
    if (file !== undefined) watchFolder = await loadWatch();
    const opened = await openEngine(options, durability);
    engine = opened.engine;
    if (file !== undefined && opened.db && checkpoints === "background") {
      const { startBackgroundCheckpoints } = await import("./_checkpointer.js");
      releaseCheckpoints = await startBackgroundCheckpoints(opened.db, file);
    }
    // Local files answer synchronously: concurrent enqueues are grouped into one commit.
    inner = sqlStorage(engine, undefined, { groupEnqueues: engine.dataVersion !== undefined });
  };
  const ready = (): ReturnType<typeof sqlStorage> => {
    if (!inner) {
      throw new ShiftworkError(
        "[shiftwork] [libsql] not open yet: start the Manager first (or call storage.migrate())",
      );
    }
    return inner;
  };

  /** Made at the first subscribe, once `migrate` has opened the engine and loaded the watch. */
  const noticesOf = (): ChangeNotices => {
    const interval = options.changePollInterval;
    if (engine && !engine.dataVersion) {
      // A remote database has no cheap change counter: say "maybe changed" now and then.
      return changeNotices({ pollMs: Math.max(1000, interval ?? 0) });
    }
    return changeNotices({
      version: () => engine?.dataVersion?.(),
      pollMs: interval ?? 10,
      watchedPollMs: interval ?? 250,
      watch: file !== undefined && watchFolder ? { file, watchFolder } : undefined,
    });
  };

  return {
    name: "libsql",
    getInstance: () => engine,
    subscribe(listener) {
      // Nobody else can write to a private in-memory database.
      if (options.url !== undefined && localPath(options.url) === ":memory:") return () => {};
      notices ??= noticesOf();
      return notices.subscribe(listener);
    },
    async migrate() {
      try {
        opening ??= open();
        await opening;
        await ready().migrate();
      } catch (error) {
        if (error instanceof ShiftworkError) throw error;
        // "file is not a database", "attempt to write a readonly database", "unable to open"...
        throw new StorageError("libsql", "migrate", error);
      }
    },
    enqueue: (jobs, now, claim) => ready().enqueue(jobs, now, claim),
    claim: (request) => ready().claim(request),
    extendLeases: (leases, leaseMs, now) => ready().extendLeases(leases, leaseMs, now),
    record: (results, now) => ready().record(results, now),
    recordAndClaim: (results, requests, now) =>
      (ready().recordAndClaim as NonNullable<Storage["recordAndClaim"]>)(results, requests, now),
    rescueExpired: (now) => ready().rescueExpired(now),
    cancel: (id, reason, now) => ready().cancel(id, reason, now),
    retry: (id, now) => ready().retry(id, now),
    setPaused: (queue, paused) => ready().setPaused(queue, paused),
    get: (id) => ready().get(id),
    list: (query) => ready().list(query),
    stats: (now) => ready().stats(now),
    prune: (request) => ready().prune(request),
    nextWakeAt: (filter) => ready().nextWakeAt(filter),
    async close() {
      notices?.close();
      notices = undefined;
      await opening?.catch(() => {});
      const release = releaseCheckpoints;
      releaseCheckpoints = undefined;
      await release?.();
      await engine?.close?.();
    },
  };
}

/** The engine, and the synchronous connection under it when there is one. */
interface Opened {
  engine: SqlEngine;
  db?: SyncDatabase;
}

async function openEngine(
  options: LibsqlStorageOptions,
  durability: "normal" | "full",
): Promise<Opened> {
  const busyTimeout = options.busyTimeout ?? 5000;
  if (options.database) {
    const db = options.database;
    return { engine: prepareSync(db, durability, busyTimeout, true), db };
  }
  if (options.client) return { engine: clientEngine("libsql", options.client) };
  const url = options.url as string;
  const local = localPath(url);
  if (local !== undefined) {
    // Only Node and Bun have the native binding; keeping the specifier out of sight of bundlers
    // lets a Worker bundle this file for the remote path.
    const specifier = "libsql";
    const { default: Database } = (await import(/* @vite-ignore */ specifier)) as {
      default: new (path: string, options: { timeout: number }) => SyncDatabase;
    };
    let db: SyncDatabase;
    try {
      db = new Database(local, { timeout: busyTimeout });
    } catch (error) {
      throw new ShiftworkError(`[shiftwork] [libsql] cannot open ${url}: ${String(error)}`, {
        cause: error,
      });
    }
    return { engine: prepareSync(db, durability, busyTimeout, local !== ":memory:"), db };
  }
  const { createClient } = await import("@libsql/client/web");
  const client = createClient({
    url,
    ...(options.authToken ? { authToken: options.authToken } : {}),
  });
  return { engine: clientEngine("libsql", client) };
}

/**
 * `fs.watch` where the host has it (Node, Bun). The specifier is kept out of sight of bundlers, as
 * `libsql`'s is: a Worker bundles this file for the remote path.
 */
async function loadWatch(): Promise<WatchFolder | undefined> {
  const specifier = "node:fs";
  try {
    const fs = (await import(/* @vite-ignore */ specifier)) as { watch?: WatchFolder };
    return typeof fs.watch === "function" ? fs.watch : undefined;
  } catch {
    return undefined;
  }
}

/** The query string (`?…`) of a local URL, or undefined when it has none or is remote. */
function localQuery(url: string): string | undefined {
  if (localPath(url) === undefined) return undefined;
  const at = url.indexOf("?");
  return at === -1 || at === url.length - 1 ? undefined : url.slice(at);
}

/** The file path of a local URL (`file:x.db`, `file:///abs/x.db`, `:memory:`), or undefined. */
function localPath(url: string): string | undefined {
  if (url === ":memory:" || url === "file::memory:") return ":memory:";
  if (url.startsWith("file://")) return decodeURIComponent(new URL(url).pathname);
  if (url.startsWith("file:")) return url.slice("file:".length).split("?")[0];
  return undefined;
}

function prepareSync(
  db: SyncDatabase,
  durability: "normal" | "full",
  busyTimeout: number,
  file: boolean,
): SqlEngine {
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeout)}`);
    // WAL lets readers run beside the one writer; NORMAL syncs at checkpoints, which is durable
    // across a process crash (the WAL is in the OS), FULL syncs every commit (power loss too).
    if (file) db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
  } catch (error) {
    db.close();
    throw new ShiftworkError(`[shiftwork] [libsql] cannot open the database: ${String(error)}`, {
      cause: error,
    });
  }
  return syncEngine("libsql", db);
}

export type { SqlEngine };
