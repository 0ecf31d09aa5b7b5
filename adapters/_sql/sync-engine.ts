import {
  type Again,
  type Query,
  type QueryResult,
  type Row,
  runVerbSync,
  type SqlEngine,
  transactSync,
  type Verb,
} from "./driver.js";

/** The part of a synchronous SQLite statement the engine uses (libSQL's binding, better-sqlite3). */
export interface SyncStatement {
  readonly reader: boolean;
  all(args: unknown[]): unknown[];
  run(args: unknown[]): { changes: number; lastInsertRowid?: number | bigint };
  /** Rows as arrays of values (better-sqlite3 and libSQL's binding): optional, see `columns`. */
  raw?(toggle: boolean): unknown;
  /** The result columns; with `raw`, the engine builds row objects itself. */
  columns?(): readonly { name: string }[];
}

/** The part of a synchronous SQLite connection the engine uses. */
export interface SyncDatabase {
  prepare(sql: string): SyncStatement;
  exec(sql: string): unknown;
  close(): void;
}

interface Prepared {
  statement: SyncStatement;
  reader: boolean;
  /** Column names when rows come back as arrays. */
  names?: string[];
}

function prepare(db: SyncDatabase, sql: string): Prepared {
  const statement = db.prepare(sql);
  const reader = statement.reader;
  if (!reader || !statement.raw || !statement.columns) return { statement, reader };
  // libSQL's binding builds a row object at about 1 µs per column; as arrays, a third of that
  // (a claim of 16 rows of 21 columns: 350 → 125 µs). Names are mapped back here.
  const names = statement.columns().map((column) => column.name);
  statement.raw(true);
  return { statement, reader, names };
}

/**
 * An engine over one synchronous connection. A verb runs start to end inside `BEGIN IMMEDIATE`
 * without yielding to the event loop, so two transactions of one process never interleave.
 */
export function syncEngine(name: string, db: SyncDatabase): SqlEngine {
  // Prepared once per SQL text, with `reader` read once: on libSQL's binding it is a native call.
  const statements = new Map<string, Prepared>();
  const statementOf = (sql: string): Prepared => {
    let prepared = statements.get(sql);
    if (!prepared) {
      prepared = prepare(db, sql);
      statements.set(sql, prepared);
    }
    return prepared;
  };
  const exec = ({ sql, args }: Query): QueryResult => {
    const prepared = statementOf(sql);
    if (prepared.reader) {
      const { names } = prepared;
      if (names === undefined) {
        const rows = prepared.statement.all(args) as Row[];
        return { rows };
      }
      const rows = (prepared.statement.all(args) as unknown[][]).map((values) => {
        const row: Row = {};
        for (let i = 0; i < names.length; i++) row[names[i] as string] = values[i];
        return row;
      });
      return { rows };
    }
    const { changes, lastInsertRowid } = prepared.statement.run(args);
    return lastInsertRowid === undefined
      ? { rows: [], changed: changes }
      : { rows: [], changed: changes, lastRowid: Number(lastInsertRowid) };
  };
  /**
   * A write a lone run (`single`) left unfinished, with the arguments it ran with. Run outside a
   * transaction, a write that gives up on another connection's lock (SQLITE_BUSY after the busy
   * timeout) stays active: the binding does not reset it, and while it is active no transaction
   * of this connection can commit ("SQL statements in progress"), so one refused enqueue would
   * stop every later claim and result.
   */
  let unfinished: { statement: SyncStatement; args: unknown[] } | undefined;
  /**
   * Ends an unfinished write without a trace: run again to its end inside a transaction that is
   * rolled back. Until the lock it waits for is free this throws, as the call it precedes would.
   */
  const finishUnfinished = () => {
    if (!unfinished) return;
    db.exec("BEGIN IMMEDIATE");
    try {
      unfinished.statement.run(unfinished.args);
    } catch {
      // An error ends the run too: all that was needed.
    } finally {
      db.exec("ROLLBACK");
    }
    unfinished = undefined;
  };
  /** One transaction: committed when the verb returns, rolled back when it throws. */
  const once = <T>(mode: "read" | "write", verb: () => Verb<T>): T => {
    finishUnfinished();
    db.exec(mode === "write" ? "BEGIN IMMEDIATE" : "BEGIN");
    try {
      const result = runVerbSync(verb(), exec);
      db.exec("COMMIT");
      return result;
    } catch (error) {
      try {
        db.exec("ROLLBACK");
      } catch {
        // The failed statement may already have rolled the transaction back.
      }
      throw error;
    }
  };
  return {
    name,
    transaction<T>(mode: "read" | "write", verb: () => Verb<T>, again?: Again<T>): T {
      return transactSync((v) => once(mode, v), verb, again);
    },
    single<T>(verb: () => Verb<T>): T {
      finishUnfinished();
      let wrote = false;
      return runVerbSync(verb(), (query) => {
        const prepared = statementOf(query.sql);
        // Reads after the write are exact on this one synchronous connection (`changes()`, the
        // rowid when the binding does not report it). A second write would commit on its own
        // after the first already had: refused before it runs, as a bug in the verb. (A write
        // that changed nothing, a hand-off that did not happen, leaves nothing to be torn from.)
        if (wrote && !prepared.reader) {
          throw new Error(`[shiftwork] single-statement verb ran a second write: ${query.sql}`);
        }
        let result: QueryResult;
        try {
          result = exec(query);
        } catch (error) {
          if (!prepared.reader) unfinished = { statement: prepared.statement, args: query.args };
          throw error;
        }
        if (!prepared.reader && (result.changed ?? 0) > 0) wrote = true;
        return result;
      });
    },
    dataVersion: () => Number(exec({ sql: "PRAGMA data_version", args: [] }).rows[0]?.data_version),
    close: () => db.close(),
  };
}
