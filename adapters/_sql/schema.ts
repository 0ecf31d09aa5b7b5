/**
 * The schema as numbered, append-only migrations: never edit a released one, add the next.
 * Each migration is a list of single statements, so every engine (libSQL file, libSQL remote,
 * Durable Object SQLite) runs them the same way. `schema.sql` beside this file is the resulting
 * schema, kept for review; a test checks it matches.
 * @module
 */

/** The job table's columns but `seq`, shared by the migrations that create the table. */
const JOB_COLUMNS = `
      name TEXT NOT NULL,
      queue TEXT NOT NULL,
      input TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled')),
      priority INTEGER NOT NULL,
      run_at INTEGER NOT NULL,
      attempt INTEGER NOT NULL DEFAULT 0,
      max_attempts INTEGER NOT NULL,
      key TEXT,
      progress TEXT,
      output TEXT,
      error TEXT,
      cancel_reason TEXT,
      cancel_requested INTEGER NOT NULL DEFAULT 0,
      lease_token TEXT,
      lease_expires_at INTEGER,
      attempts TEXT NOT NULL DEFAULT '[]',
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      finished_at INTEGER
    `;

/** The job indexes of migrations 1 and 2, as released (migration 3 replaces the ready index). */
const JOB_INDEXES = [
  // Claims walk this index in claim order (due jobs only): no sort, no scan. It holds ready
  // jobs alone, so neither finished nor delayed jobs make it bigger.
  "CREATE INDEX shiftwork_jobs_ready ON shiftwork_jobs (state, priority, run_at, seq) WHERE state = 'waiting'",
  // Delayed jobs live apart, so a large backlog of them never slows a claim of ready ones.
  "CREATE INDEX shiftwork_jobs_delayed ON shiftwork_jobs (run_at) WHERE state = 'delayed'",
  "CREATE INDEX shiftwork_jobs_leases ON shiftwork_jobs (lease_expires_at) WHERE state = 'active'",
  "CREATE INDEX shiftwork_jobs_finished ON shiftwork_jobs (finished_at) WHERE finished_at IS NOT NULL",
  `CREATE UNIQUE INDEX shiftwork_jobs_key ON shiftwork_jobs (key)
      WHERE key IS NOT NULL AND state IN ('waiting', 'delayed', 'active')`,
];

/**
 * The ready indexes from migration 3 on, one per key a worker group claims by: a name group
 * (`{ names: [name] }`) walks the first, a queue group (`{ queues: [queue], names }`) the second,
 * each from `name = ?` / `queue = ?` in claim order. The one global ready index they replace made
 * a group walk every ready job of other names and queues ahead of its own (a paused queue's
 * backlog, say). Two, not three: no query reads the global one any more (every claim names its
 * index), and keeping it would write a third entry on every change into or out of 'waiting'.
 */
const READY_INDEXES = [
  "CREATE INDEX shiftwork_jobs_ready_by_name ON shiftwork_jobs (name, priority, run_at, seq) WHERE state = 'waiting'",
  "CREATE INDEX shiftwork_jobs_ready_by_queue ON shiftwork_jobs (queue, priority, run_at, seq) WHERE state = 'waiting'",
];

/**
 * The last attempt's fields, from migration 4 on; `last_started_at` is NULL while a job has had no
 * attempt. A job's attempts are `earlier_attempts` (a JSON array, the column `attempts` until
 * then) followed by this one. `last_error` is JSON text, as `error` is.
 */
const LAST_ATTEMPT_COLUMNS = [
  "last_attempt INTEGER",
  "last_started_at INTEGER",
  "last_ended_at INTEGER",
  "last_outcome TEXT",
  "last_error TEXT",
];

/**
 * The ready index by queue, from migration 5 on made by the first claim, wake-up or hand-off of a
 * queue group on the database (see `writeIndexed` in storage.ts), not by a migration. Every
 * enqueue and claim writes an entry in each ready index there is, and a database whose Managers
 * claim by job name alone never reads this one: without it a one-job enqueue writes one B-tree
 * page fewer (about a fifth of its time on a file). Made once, it stays.
 */
export const QUEUE_READY_INDEX = `CREATE INDEX IF NOT EXISTS shiftwork_jobs_ready_by_queue
  ON shiftwork_jobs (queue, priority, run_at, seq) WHERE state = 'waiting'`;

/** Migrations in order; migration N brings the schema to version N. */
export const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE shiftwork_jobs (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,${JOB_COLUMNS})`,
    ...JOB_INDEXES,
    "CREATE TABLE shiftwork_queues (queue TEXT PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0)",
  ],
  // 2: seq without AUTOINCREMENT. Its counter row in sqlite_sequence was one more page written by
  // every insert (about a third of a one-job enqueue on a file). Ids stay unique because prune
  // never deletes the row holding the highest seq, so SQLite's max(seq) + 1 never goes back.
  [
    `CREATE TABLE shiftwork_jobs_2 (
      seq INTEGER PRIMARY KEY,${JOB_COLUMNS})`,
    "INSERT INTO shiftwork_jobs_2 SELECT * FROM shiftwork_jobs",
    // When the newest jobs were pruned before this upgrade, AUTOINCREMENT's counter is above every
    // row left: a finished placeholder at that seq keeps those ids from being handed out again
    // (prune removes it once a newer job exists).
    `INSERT INTO shiftwork_jobs_2 (seq, name, queue, input, state, priority, run_at, max_attempts,
       cancel_reason, created_at, updated_at, finished_at)
     SELECT seq, 'shiftwork.placeholder', 'default', 'null', 'cancelled', 0, 0, 1,
       'keeps job ids unique across the schema 2 upgrade', 0, 0, 0
     FROM sqlite_sequence
     WHERE name = 'shiftwork_jobs' AND seq > (SELECT coalesce(max(seq), 0) FROM shiftwork_jobs)`,
    "DROP TABLE shiftwork_jobs",
    "ALTER TABLE shiftwork_jobs_2 RENAME TO shiftwork_jobs",
    ...JOB_INDEXES,
  ],
  // 3: ready jobs indexed by name and by queue instead of globally (see READY_INDEXES).
  ["DROP INDEX shiftwork_jobs_ready", ...READY_INDEXES],
  // 4: a job's last attempt in columns of its own (see LAST_ATTEMPT_COLUMNS), earlier ones in
  // `earlier_attempts`. A claim and its result then set plain columns; rewriting the JSON array
  // twice per attempt was a third of the SQL work of a drain. The rename makes a process of an
  // older version still running on the file fail its next claim or result ("no such column")
  // rather than write attempts where this version no longer reads them. The UPDATE rewrites every
  // row with attempts, in the migration's one transaction.
  [
    ...LAST_ATTEMPT_COLUMNS.map((column) => `ALTER TABLE shiftwork_jobs ADD COLUMN ${column}`),
    `UPDATE shiftwork_jobs SET
       last_attempt = json_extract(attempts, '$[#-1].attempt'),
       last_started_at = json_extract(attempts, '$[#-1].startedAt'),
       last_ended_at = json_extract(attempts, '$[#-1].endedAt'),
       last_outcome = json_extract(attempts, '$[#-1].outcome'),
       last_error = json_extract(attempts, '$[#-1].error'),
       attempts = json_remove(attempts, '$[#-1]')
     WHERE json_array_length(attempts) > 0`,
    "ALTER TABLE shiftwork_jobs RENAME COLUMN attempts TO earlier_attempts",
  ],
  // 5: the ready index by queue is made when a queue group first needs it (QUEUE_READY_INDEX).
  ["DROP INDEX shiftwork_jobs_ready_by_queue"],
];

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;
