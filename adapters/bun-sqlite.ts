/**
 * Storage on Bun's built-in SQLite (`bun:sqlite`): the libSQL adapter's SQL core over a
 * `bun:sqlite` connection, with the same pragmas (WAL, busy timeout, synchronous level) and the same
 * change notices (a watch of the file, confirmed by `PRAGMA data_version`). Bun only.
 * @module
 */
import { Database } from "bun:sqlite";
import type { SyncDatabase } from "./_sql/sync-engine.js";
import { type LibsqlStorage, type LibsqlStorageOptions, libsqlStorage } from "./libsql.js";

/** Options of {@link bunSqliteStorage}. */
export interface BunSqliteStorageOptions
  extends Pick<LibsqlStorageOptions, "durability" | "busyTimeout" | "changePollInterval"> {
  /** A file path, or `:memory:`. */
  path: string;
}

/** Adapts a `bun:sqlite` connection to the synchronous interface of the SQL core. */
export function bunSqliteDatabase(db: Database): SyncDatabase {
  return {
    prepare(sql) {
      const statement = db.prepare(sql);
      return {
        reader: statement.columnNames.length > 0,
        all: (args) => statement.all(...args),
        run: (args) => statement.run(...args),
      };
    },
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  };
}

/**
 * Creates a Storage on a `bun:sqlite` database file.
 *
 * @example
 * const storage = bunSqliteStorage({ path: "./shiftwork.db" });
 */
export function bunSqliteStorage(options: BunSqliteStorageOptions): LibsqlStorage {
  const { path, ...rest } = options;
  return libsqlStorage({
    ...rest,
    // The path lets a subscribed Manager watch the file for other processes' commits.
    path,
    database: bunSqliteDatabase(new Database(path, { create: true })),
  });
}
