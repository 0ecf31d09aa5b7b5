/**
 * A libSQL connection whose writes can be made to fail on demand, as when the database file turns
 * read-only or the disk fails: the storage-fault tests open the adapter over it.
 * @module
 */
import Database from "libsql";
import type { LibsqlStorageOptions } from "shiftwork/adapters/libsql";

type SyncDatabase = NonNullable<LibsqlStorageOptions["database"]>;
type SyncStatement = ReturnType<SyncDatabase["prepare"]>;

/** The SQLite failures the wrapper imitates, with SQLite's own messages. */
export const FAULTS = {
  SQLITE_READONLY: "attempt to write a readonly database",
  SQLITE_IOERR: "disk I/O error",
} as const;

/** A connection plus the switch that breaks its writes. */
export interface FaultyDatabase extends SyncDatabase {
  /**
   * While set, write transactions fail: `SQLITE_READONLY` when they begin (as on a file that turned
   * read-only), `SQLITE_IOERR` when they commit, after their statements ran (as when the disk
   * fails under a write), so the transaction must be rolled back whole. A write statement run on
   * its own, outside `BEGIN`, fails before it changes anything.
   */
  fault: keyof typeof FAULTS | null;
  /** Write attempts refused while the fault was set. */
  refused: number;
}

/** Opens `file` with the `libsql` binding behind a switch that makes its writes fail. */
export function faultyDatabase(file: string): FaultyDatabase {
  const db = new Database(file, { timeout: 5000 }) as unknown as SyncDatabase;
  let writing = false;
  const fail = () => {
    const code = wrapper.fault as keyof typeof FAULTS;
    wrapper.refused++;
    throw Object.assign(new Error(FAULTS[code]), { name: "SqliteError", code });
  };
  const wrapper: FaultyDatabase = {
    fault: null,
    refused: 0,
    prepare(sql) {
      const statement = db.prepare(sql) as SyncStatement;
      if (statement.reader && !/^\s*(INSERT|UPDATE|DELETE)/i.test(sql)) return statement;
      // A write outside BEGIN…COMMIT is its own transaction (a lone enqueue): it fails whole, as
      // SQLite rolls back a statement whose commit fails.
      const guard =
        <A extends unknown[], R>(fn: (...args: A) => R) =>
        (...args: A): R => {
          if (!writing && wrapper.fault) fail();
          return fn(...args);
        };
      return {
        reader: statement.reader,
        all: guard((args: unknown[]) => statement.all(args)),
        run: guard((args: unknown[]) => statement.run(args)),
      };
    },
    exec(sql) {
      const verb = sql.trim().toUpperCase();
      if (verb === "BEGIN IMMEDIATE") {
        if (wrapper.fault === "SQLITE_READONLY") fail();
        writing = true;
      } else if (verb === "COMMIT" || verb === "ROLLBACK") {
        const commit = writing && verb === "COMMIT";
        writing = false;
        if (commit && wrapper.fault === "SQLITE_IOERR") {
          writing = true; // the caller rolls back
          fail();
        }
      }
      return db.exec(sql);
    },
    close: () => db.close(),
  };
  return wrapper;
}
