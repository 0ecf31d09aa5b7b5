/**
 * The statement interface the SQL core is written against. A verb is a generator that yields
 * queries and receives their results, so one implementation runs on synchronous engines (libSQL's
 * binding, Durable Object SQLite, inside one synchronous transaction) and on asynchronous ones
 * (`@libsql/client`) alike.
 * @module
 */

/** A value SQLite binds. */
export type SqlValue = string | number | null;

/** One statement and its arguments. */
export interface Query {
  sql: string;
  args: SqlValue[];
}

/** A row, by column name. */
export type Row = Record<string, unknown>;

/** What a statement gave back: its rows (RETURNING or SELECT), and what the engine says of a write. */
export interface QueryResult {
  rows: Row[];
  /**
   * The rowid of the last row inserted, when the engine reports it with a write that returns no
   * rows (cheaper than `RETURNING` on libSQL's binding). Absent: ask `last_insert_rowid()`.
   */
  lastRowid?: number;
  /**
   * How many rows a write changed, when the engine reports it with the write (libSQL's binding,
   * `@libsql/client`; not for a statement with result columns there). Absent: ask `changes()`.
   */
  changed?: number;
}

/** A storage verb: yields queries, receives their results, returns the verb's answer. */
export type Verb<T> = Generator<Query, T, QueryResult>;

/** Runs a verb to its end with a synchronous executor. */
export function runVerbSync<T>(verb: Verb<T>, exec: (query: Query) => QueryResult): T {
  let step = verb.next();
  while (!step.done) step = verb.next(exec(step.value));
  return step.value;
}

/** Runs a verb to its end with an asynchronous executor. */
export async function runVerbAsync<T>(
  verb: Verb<T>,
  exec: (query: Query) => Promise<QueryResult>,
): Promise<T> {
  let step = verb.next();
  while (!step.done) step = verb.next(await exec(step.value));
  return step.value;
}

/** What an engine runs again, at once, when a transaction's verb threw (see `SqlEngine`). */
export type Again<T> = (error: unknown) => (() => Verb<T>) | undefined;

/**
 * An engine: runs a verb inside a read or a write transaction (`BEGIN IMMEDIATE` on SQLite files),
 * committing when it returns and rolling back when it throws.
 */
export interface SqlEngine {
  readonly name: string;
  /**
   * When the verb throws and `again` gives a verb for that error, the transaction is rolled back
   * and that verb runs in a new one at once, before any transaction asked for meanwhile: a batch
   * of results that held a refused token is written again exactly (`RefusedInBatch`, storage.ts)
   * in its own place among the storage's calls.
   */
  transaction<T>(mode: "read" | "write", verb: () => Verb<T>, again?: Again<T>): T | Promise<T>;
  /**
   * Runs a verb of exactly one write statement without `BEGIN`/`COMMIT` around it: SQLite makes a
   * lone statement atomic and durable by itself, and on a local file the two extra statements cost
   * about a third of a one-job enqueue. Engines without it run such verbs in `transaction`.
   */
  single?<T>(verb: () => Verb<T>): T;
  /** SQLite's `PRAGMA data_version` of this connection: changes when another connection commits. */
  dataVersion?(): number;
  close?(): void | Promise<void>;
}

/**
 * A synchronous engine's `transaction` with its `again`: `run` (one transaction) of `verb`, and
 * when that throws and `again` gives a verb for the error, `run` of that one at once.
 */
export function transactSync<T>(
  run: (verb: () => Verb<T>) => T,
  verb: () => Verb<T>,
  again?: Again<T>,
): T {
  try {
    return run(verb);
  } catch (error) {
    const next = again?.(error);
    if (!next) throw error;
    return run(next);
  }
}

/** Shorthand for a query. */
export const q = (sql: string, ...args: SqlValue[]): Query => ({ sql, args });
