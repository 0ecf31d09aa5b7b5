/**
 * How the SQL verbs reach the jobs of a claim filter: which ready index a Worker group walks, the
 * terms tested per row, and the paused test evaluated once for a single queue.
 * @module
 */
import type { ClaimFilter } from "../../src/ports.js";
import type { SqlValue } from "./driver.js";

/** The row's queue is not paused (its `queue` is the innermost table's). */
const NOT_PAUSED = "queue NOT IN (SELECT queue FROM shiftwork_queues WHERE paused = 1)";

/** `?, ?, …` for `n` values. */
export const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");

/** How a query reaches the jobs of a claim filter: its terms, and which ready index serves it. */
export interface FilterSql {
  /** ` AND queue ... AND name ...`, with the per-row paused test unless `open` stands for it. */
  sql: string;
  args: SqlValue[];
  /**
   * For a single queue, whether it is not paused, as a test that does not read the row: the
   * queries make SQLite evaluate it once, before the loop, which it then skips when the queue is
   * paused (a per-row test would walk a paused queue's whole backlog to find nothing).
   */
  open: { sql: string; args: SqlValue[] } | null;
  /** The ready index to walk, and its first column. */
  index: "shiftwork_jobs_ready_by_queue" | "shiftwork_jobs_ready_by_name";
  key: "queue" | "name";
  /** Whether the filter names exactly one value of `key`: the index then yields claim order. */
  single: boolean;
}

/**
 * The terms of a claim filter. The Manager's two shapes each have one key to walk a ready index
 * from in claim order: a queue group (`{ queues: [q], names }`) the queue index, a name group
 * (`{ names: [n] }`) the name index; the other term is tested per row. Any other shape (several
 * queues, several names and no queue, or none) reads the matching ready rows and sorts them: still
 * correct, but no longer independent of their number. The Manager never claims that way.
 */
export function filterSql({ queues = [], names = [] }: ClaimFilter): FilterSql {
  const byName = walksByName(queues, names);
  const key = byName ? "name" : "queue";
  const values = { queue: queues, name: names };
  let sql = "";
  const args: SqlValue[] = [];
  for (const column of byName ? (["name", "queue"] as const) : (["queue", "name"] as const)) {
    const list = values[column];
    if (list.length === 1) sql += ` AND ${column} = ?`;
    else if (list.length > 1) sql += ` AND ${column} IN (${placeholders(list.length)})`;
    args.push(...list);
  }
  const open =
    queues.length === 1
      ? {
          sql: "NOT EXISTS (SELECT 1 FROM shiftwork_queues WHERE queue = ? AND paused = 1)",
          args: [queues[0] as string],
        }
      : null;
  if (!open) sql += ` AND ${NOT_PAUSED}`;
  return {
    sql,
    args,
    open,
    index: byName ? "shiftwork_jobs_ready_by_name" : "shiftwork_jobs_ready_by_queue",
    key,
    single: values[key].length === 1,
  };
}

/** Whether a filter's queries walk the ready index by name; the others walk the one by queue. */
const walksByName = (queues: readonly string[], names: readonly string[]) =>
  queues.length !== 1 && (names.length === 1 || (names.length > 1 && !queues.length));

/**
 * Whether a filter's queries walk the ready index by queue, which the first of them makes (see
 * `QUEUE_READY_INDEX` in schema.ts).
 */
export const needsQueueIndex = ({ queues = [], names = [] }: ClaimFilter): boolean =>
  !walksByName(queues, names);

/**
 * `min(run_at)` of the ready jobs of a filter, as a scalar subquery. With one key it visits each
 * distinct priority under that key (two index seeks each) and takes the first match in run order
 * there, rather than reading every ready job of the key: the index orders by priority before run
 * time. Every ready job was due when it became ready, so the Manager would only need to know that
 * one exists; the port promises the earliest, and this keeps it exact at the same cost.
 */
export function readyWakeSql(where: FilterSql): { sql: string; args: SqlValue[] } {
  const from = `shiftwork_jobs INDEXED BY ${where.index} WHERE state = 'waiting'`;
  if (!where.single) {
    return { sql: `(SELECT min(run_at) FROM ${from}${where.sql})`, args: where.args };
  }
  const key = where.args[0] as SqlValue;
  return {
    sql: `(SELECT min((SELECT min(run_at) FROM ${from} AND priority = levels.priority${where.sql}))
      FROM (
        WITH RECURSIVE levels(priority) AS (
          SELECT min(priority) FROM ${from} AND ${where.key} = ?
          UNION ALL
          SELECT (SELECT min(priority) FROM ${from} AND ${where.key} = ? AND priority > levels.priority)
          FROM levels WHERE levels.priority IS NOT NULL)
        SELECT priority FROM levels) AS levels)`,
    args: [...where.args, key, key],
  };
}
