import { JobNotFoundError, JobStateError, ShiftworkError } from "../../src/errors.js";
import type {
  ClaimedJob,
  ClaimFilter,
  ClaimRequest,
  EnqueueClaim,
  EnqueueResult,
  JobPage,
  JobRecord,
  JobResult,
  Lease,
  LeaseStatus,
  ListQuery,
  NewJob,
  PruneRequest,
  QueueStats,
} from "../../src/ports.js";
import { byQueueName, emptyQueueStats, matchesFilter, newJobRecord } from "../../src/ports.js";
import { type Query, q, type SqlValue, type Verb } from "./driver.js";
import { filterSql, placeholders, readyWakeSql } from "./filters.js";
import { CLAIMED_COLUMNS, claimedToJob, json, openAttempt, rowToJob } from "./rows.js";
import { MIGRATIONS, QUEUE_READY_INDEX, SCHEMA_VERSION } from "./schema.js";

/** How ids map to sequence numbers; a Durable Object prefixes its queue, say. */
export interface IdCodec {
  idOf(seq: number): string;
  /** The sequence number of an id, or `null` when the id is not one of ours. */
  seqOf(id: string): number | null;
}

const LIVE = "('waiting', 'delayed', 'active')";
/**
 * A time (the SQL expression `value`) as a JSON number with 17 significant digits: SQLite's JSON
 * functions write a REAL with 15, and an attempt moved into the JSON array must read back with
 * the times it had (a fraction of a millisecond included).
 */
const jsonTime = (value: string) => `json(printf('%!.17g', ${value}))`;
/**
 * A run of `completed` results as one UPDATE: each source row (seq, token, output) changes the job
 * it names only while that token holds it. Arguments: `now` three times, then the JSON array.
 */
const COMPLETE_MANY = `UPDATE shiftwork_jobs SET state = 'completed', output = r.output, finished_at = ?,
    lease_token = NULL, lease_expires_at = NULL, updated_at = ?,
    last_ended_at = ?, last_outcome = 'completed'
  FROM (SELECT json_extract(value, '$[0]') AS seq, json_extract(value, '$[1]') AS token,
          json_extract(value, '$[2]') AS output FROM json_each(?)) AS r
  WHERE shiftwork_jobs.seq = r.seq AND shiftwork_jobs.state = 'active'
    AND shiftwork_jobs.lease_token = r.token`;

/**
 * Thrown inside a results transaction when a fast batch of completions changed fewer rows than it
 * had results: a token no longer held its job. The transaction is undone; storage runs it again
 * with `exact`, at once, before any other transaction of that storage (`exactly` in storage.ts,
 * `again` of `SqlEngine.transaction`).
 */
export class RefusedInBatch extends Error {
  override name = "RefusedInBatch";
}

/** Ends the last attempt: its end, outcome and error (JSON text or NULL). */
const END_ATTEMPT = "last_ended_at = ?, last_outcome = ?, last_error = ?";

/**
 * A claim's read-back columns for `json_array`. A REAL (a time with a fraction of a millisecond,
 * which the port allows) goes as 17 significant digits of text: `json_array` writes only 15, and
 * the claimed record must equal the stored one.
 */
const CLAIMED_JSON = CLAIMED_COLUMNS.map((column) =>
  ["priority", "run_at", "created_at", "finished_at"].includes(column)
    ? `CASE WHEN typeof(${column}) = 'real' THEN printf('%!.17g', ${column}) ELSE ${column} END`
    : column,
).join(", ");

/**
 * What a claim writes: a new attempt under a fresh lease, the previous one (if any) moved to the
 * `earlier_attempts` JSON array. Arguments: the claim's token (each row's is `token.seq`), the
 * lease's expiry, then `now` twice. (SET reads the row as it was, so the move sees the old last
 * attempt.)
 */
const CLAIM_SET = `state = 'active', attempt = attempt + 1, lease_token = ? || '.' || seq,
  lease_expires_at = ?, updated_at = ?,
  earlier_attempts = CASE WHEN last_started_at IS NULL THEN earlier_attempts
    ELSE json_insert(earlier_attempts, '$[#]',
    json_object('attempt', last_attempt, 'startedAt', ${jsonTime("last_started_at")},
      'endedAt', CASE WHEN last_ended_at IS NULL THEN NULL ELSE ${jsonTime("last_ended_at")} END,
      'outcome', last_outcome, 'error', json(last_error))) END,
  last_attempt = attempt + 1, last_started_at = ?, last_ended_at = NULL, last_outcome = NULL,
  last_error = NULL`;

/**
 * A new job's values for the columns `(name, queue, input, state, priority, run_at, max_attempts,
 * key, created_at, updated_at)`, which both one-job INSERTs begin with.
 */
const jobValues = (job: NewJob, input: string, state: string, now: number): SqlValue[] => [
  job.name,
  job.queue,
  input,
  state,
  job.priority,
  job.runAt,
  job.maxAttempts,
  job.key,
  now,
  now,
];

/** A hand-off's INSERT for one claim filter (see `enqueueClaimed`), and the filter's arguments. */
interface HandOffStatement {
  filter: ClaimFilter;
  sql: string;
  filterArgs: readonly SqlValue[];
}

/**
 * Hand-off statements by frozen claim: the Manager asks each group's hand-offs with one frozen
 * object, so the SQL text is built once, not on every enqueue (and, a new string each time, hashed
 * again to find its prepared statement).
 */
const handOffStatements = new WeakMap<EnqueueClaim, HandOffStatement>();

function handOffStatement(claim: EnqueueClaim): HandOffStatement {
  const made = handOffStatements.get(claim);
  if (made) return made;
  const { leaseMs: _, ...filter } = claim;
  const where = filterSql(filter);
  const statement: HandOffStatement = {
    filter,
    filterArgs: where.args,
    // No RETURNING: the rowid and the change count say all (reading a row back cost a hand-off
    // ~20 µs of its latency on libSQL's binding).
    sql: `INSERT INTO shiftwork_jobs
         (name, queue, input, state, priority, run_at, max_attempts, key, created_at, updated_at,
          attempt, lease_token, lease_expires_at, last_attempt, last_started_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, 1, ?
       WHERE NOT EXISTS (SELECT 1 FROM shiftwork_queues WHERE queue = ? AND paused = 1)
         AND NOT EXISTS (SELECT 1 FROM shiftwork_jobs AS other INDEXED BY ${where.index}
           WHERE state = 'waiting'${where.sql} AND run_at <= ?)
         AND NOT EXISTS (SELECT 1 FROM shiftwork_jobs AS due
           WHERE state = 'delayed' AND run_at <= ?)
       ON CONFLICT (key) WHERE key IS NOT NULL AND state IN ${LIVE} DO NOTHING`,
  };
  // Only a claim frozen through can be trusted to mean the same filter next time.
  const frozen = (list?: readonly string[]) => list === undefined || Object.isFrozen(list);
  if (Object.isFrozen(claim) && frozen(claim.queues) && frozen(claim.names)) {
    handOffStatements.set(claim, statement);
  }
  return statement;
}

/** The SQL core: every Storage verb as a generator of statements. Arguments are checked before. */
export function sqlVerbs(codec: IdCodec) {
  const toJob = (row: Record<string, unknown>) => rowToJob(row, codec.idOf);
  /**
   * Hand-off lease tokens: a random prefix per storage and a count, as unique as a claim's
   * `uuid.seq` without a UUID made on each enqueue's latency path.
   */
  const handOffTokens = crypto.randomUUID();
  let handOffs = 0;

  function* findJob(id: string, verb: string): Verb<JobRecord> {
    const seq = codec.seqOf(id);
    const { rows } =
      seq === null ? { rows: [] } : yield q("SELECT * FROM shiftwork_jobs WHERE seq = ?", seq);
    if (!rows[0]) throw new JobNotFoundError(id);
    void verb;
    return toJob(rows[0]);
  }

  /**
   * The record of a job just inserted, built here rather than read back with `RETURNING *`: on
   * libSQL's binding every returned column costs (about half of a one-job enqueue's CPU).
   */
  const newRecord = (job: NewJob, seq: number, input: string, now: number): JobRecord =>
    newJobRecord(job, codec.idOf(seq), seq, JSON.parse(input), now);

  /**
   * Runs an INSERT of at most one row: how many rows it inserted, and the rowid of the last. The
   * engine reports the rowid with the write, or one more statement asks for it.
   */
  function* insertedRow(sql: string, ...args: SqlValue[]): Verb<{ changes: number; seq: number }> {
    const { changed, lastRowid } = yield q(sql, ...args);
    if (lastRowid !== undefined && changed !== undefined)
      return { changes: changed, seq: lastRowid };
    const { rows } = yield q("SELECT changes() AS changes, last_insert_rowid() AS seq");
    return { changes: Number(rows[0]?.changes), seq: Number(rows[0]?.seq) };
  }

  function* keyHolder(key: string | null): Verb<JobRecord> {
    const { rows } = yield q(
      `SELECT * FROM shiftwork_jobs WHERE key = ? AND state IN ${LIVE}`,
      key,
    );
    return toJob(rows[0] as Record<string, unknown>);
  }

  /**
   * Inserts one job already claimed when a claim of `claim`'s filter made now would take it: it is
   * due and in the filter, its queue is not paused, no other job of the filter is claimable, and no
   * delayed job is due (which that claim would promote first). The test runs inside the INSERT, so
   * the job and its claim commit together. `undefined` when no such insert happened (the job is
   * not due or not in the filter, the test failed, or its key is held): nothing was written, and
   * the caller inserts the job as usual.
   */
  function* enqueueClaimed(
    job: NewJob,
    now: number,
    claim: EnqueueClaim,
  ): Verb<EnqueueResult | undefined> {
    const { filter, sql, filterArgs } = handOffStatement(claim);
    if (job.runAt > now || !matchesFilter(filter, job)) return undefined;
    const input = json(job.input) as string;
    const token = `${handOffTokens}.${++handOffs}`;
    const leaseExpiresAt = now + claim.leaseMs;
    const inserted = yield* insertedRow(
      sql,
      ...jobValues(job, input, "active", now),
      token,
      leaseExpiresAt,
      now,
      job.queue,
      ...filterArgs,
      now,
      now,
    );
    if (inserted.changes !== 1) return undefined;
    const { seq } = inserted;
    // Two equal records, not one object twice: the caller's copy and the Manager's running job.
    // Set field by field: the record keeps its shape, with no spread on an enqueue's hot path.
    const claimed = (): ClaimedJob => {
      const record = newRecord(job, seq, input, now);
      record.state = "active";
      record.attempt = 1;
      record.leaseToken = token;
      record.leaseExpiresAt = leaseExpiresAt;
      record.attempts = [openAttempt(1, now)];
      return record as ClaimedJob;
    };
    return { job: claimed(), created: true, claimed: claimed() };
  }

  function* enqueueOne(job: NewJob, now: number): Verb<EnqueueResult> {
    const input = json(job.input) as string;
    // No RETURNING: on libSQL's binding reading a row back costs more than the insert's own work.
    const { changes, seq } = yield* insertedRow(
      `INSERT INTO shiftwork_jobs
         (name, queue, input, state, priority, run_at, max_attempts, key, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) WHERE key IS NOT NULL AND state IN ${LIVE} DO NOTHING`,
      ...jobValues(job, input, job.runAt <= now ? "waiting" : "delayed", now),
    );
    if (changes === 1) return { job: newRecord(job, seq, input, now), created: true };
    return { job: yield* keyHolder(job.key), created: false };
  }

  /**
   * Writes a run of `completed` results in one UPDATE … FROM a JSON array; per result, whether its
   * token still held the job. The fence is the same as one statement per result. Unless `exact`,
   * the UPDATE returns no rows (on libSQL's binding each returned row costs ~3 µs, a fifth of the
   * statement) and its change count says all when every token held; when one did not, only the
   * rows tell which, so it throws {@link RefusedInBatch} and storage writes the batch again
   * exactly (`exactly` in storage.ts).
   */
  function* completeMany(
    results: readonly JobResult[],
    now: number,
    exact: boolean,
  ): Verb<boolean[]> {
    const seqs = results.map((r) => codec.seqOf(r.id));
    const args = [
      now,
      now,
      now,
      JSON.stringify(
        results.map((r, i) => [seqs[i], r.token, json((r as { output?: unknown }).output)]),
      ),
    ];
    if (!exact) {
      const result = yield q(COMPLETE_MANY, ...args);
      const changed =
        result.changed ?? Number((yield q("SELECT changes() AS n")).rows[0]?.n ?? Number.NaN);
      if (changed === results.length) return results.map(() => true);
      throw new RefusedInBatch();
    }
    const { rows } = yield q(`${COMPLETE_MANY} RETURNING shiftwork_jobs.seq AS seq`, ...args);
    const written = new Set(rows.map((r) => Number(r.seq)));
    return seqs.map((seq) => seq !== null && written.has(seq));
  }

  /** Claims ready jobs for one request (delayed jobs due by then must have been promoted). */
  function* claimReady({ limit, leaseMs, now, ...filter }: ClaimRequest): Verb<ClaimedJob[]> {
    const where = filterSql(filter);
    const token = crypto.randomUUID();
    const expires = now + leaseMs;
    // A paused single queue makes the LIMIT 0: SQLite computes it before the walk and skips it.
    yield q(
      `UPDATE shiftwork_jobs SET ${CLAIM_SET}
       WHERE seq IN (
         SELECT seq FROM shiftwork_jobs INDEXED BY ${where.index}
         WHERE state = 'waiting'${where.sql} AND run_at <= ?
         ORDER BY priority, run_at, seq
         LIMIT ${where.open ? `CASE WHEN ${where.open.sql} THEN ? ELSE 0 END` : "?"})`,
      token,
      expires,
      now,
      now,
      ...where.args,
      now,
      ...(where.open?.args ?? []),
      limit,
    );
    // The claimed rows come back as one JSON value rather than through RETURNING: on libSQL's
    // binding a returned row costs about a microsecond per column, a JSON array a tenth of that.
    // They are found by their lease (the index on active leases, then this claim's token), and
    // only the columns the claim did not write come back.
    const { rows } = yield q(
      `SELECT json_group_array(json_array(${CLAIMED_JSON})) AS rows FROM (
         SELECT * FROM shiftwork_jobs
         WHERE state = 'active' AND lease_expires_at = ? AND lease_token > ? AND lease_token < ?)`,
      expires,
      `${token}.`,
      `${token}/`,
    );
    const claim = { token, leaseExpiresAt: expires, now };
    // In claim order (a sort here, not a temporary B-tree in SQLite).
    return (JSON.parse(String(rows[0]?.rows ?? "[]")) as unknown[][])
      .map((values) => claimedToJob(values, codec.idOf, claim) as ClaimedJob)
      .sort((a, b) => a.priority - b.priority || a.runAt - b.runAt || a.seq - b.seq);
  }

  /**
   * Claims for each request in order (`[i]` for `requests[i]`). Delayed jobs that fell due join the
   * ready set first, once per distinct `now` (the index keeps it a range search), not once per
   * request.
   */
  function* claimEach(requests: readonly ClaimRequest[]): Verb<ClaimedJob[][]> {
    const claimed: ClaimedJob[][] = [];
    let promotedAt: number | undefined;
    for (const request of requests) {
      if (request.now !== promotedAt) {
        yield q(
          "UPDATE shiftwork_jobs SET state = 'waiting' WHERE state = 'delayed' AND run_at <= ?",
          request.now,
        );
        promotedAt = request.now;
      }
      claimed.push(yield* claimReady(request));
    }
    return claimed;
  }

  return {
    /** Creates or upgrades the schema inside one write transaction, refusing newer or foreign ones. */
    *migrate(): Verb<void> {
      const { rows: tables } = yield q(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'shiftwork%'",
      );
      const names = new Set(tables.map((t) => String(t.name)));
      let version = 0;
      if (names.has("shiftwork_meta")) {
        const { rows } = yield q("SELECT value FROM shiftwork_meta WHERE key = 'schema_version'");
        version = Number(rows[0]?.value ?? 0);
      } else if (names.size > 0) {
        throw new ShiftworkError(
          `database holds shiftwork tables (${[...names].join(", ")}) but no schema version: not created by shiftwork, refusing to touch it`,
        );
      } else {
        yield q("CREATE TABLE shiftwork_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      }
      if (version > SCHEMA_VERSION) {
        throw new ShiftworkError(
          `database schema version ${version} is newer than this shiftwork understands (${SCHEMA_VERSION}): upgrade shiftwork`,
        );
      }
      for (let v = version; v < SCHEMA_VERSION; v++) {
        for (const statement of MIGRATIONS[v] ?? []) yield q(statement);
      }
      if (version < SCHEMA_VERSION) {
        yield q(
          `INSERT INTO shiftwork_meta (key, value) VALUES ('schema_version', ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          String(SCHEMA_VERSION),
        );
      }
    },

    /** Makes the ready index by queue unless it exists (see `QUEUE_READY_INDEX`). */
    *makeQueueIndex(): Verb<void> {
      yield q(QUEUE_READY_INDEX);
    },

    *enqueue(jobs: readonly NewJob[], now: number, claim?: EnqueueClaim): Verb<EnqueueResult[]> {
      if (jobs.length === 1) {
        const job = jobs[0] as NewJob;
        const handed = claim ? yield* enqueueClaimed(job, now, claim) : undefined;
        return [handed ?? (yield* enqueueOne(job, now))];
      }
      // Many jobs: one INSERT over a JSON array, not one statement per job (per-statement overhead
      // dominates local SQLite). A job whose key is held is skipped by ON CONFLICT, exactly as one
      // statement per job in this order would skip it.
      const inputs = jobs.map((j) => json(j.input) as string);
      // New rows are numbered above today's highest seq (no AUTOINCREMENT: max + 1), so they are
      // read back afterwards as one JSON value: RETURNING costs a microsecond per column per row
      // on libSQL's binding.
      const { rows: top } = yield q("SELECT coalesce(max(seq), 0) AS top FROM shiftwork_jobs");
      yield q(
        `INSERT INTO shiftwork_jobs
           (name, queue, input, state, priority, run_at, max_attempts, key, created_at, updated_at)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
           CASE WHEN json_extract(value, '$[4]') <= ? THEN 'waiting' ELSE 'delayed' END,
           json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),
           json_extract(value, '$[6]'), ?, ?
         FROM json_each(?) WHERE true ORDER BY json_each.key
         ON CONFLICT (key) WHERE key IS NOT NULL AND state IN ${LIVE} DO NOTHING`,
        now,
        now,
        now,
        JSON.stringify(
          jobs.map((j, i) => [
            j.name,
            j.queue,
            inputs[i],
            j.priority,
            j.runAt,
            j.maxAttempts,
            j.key,
          ]),
        ),
      );
      const { rows: added } = yield q(
        "SELECT json_group_array(json_array(seq, key)) AS rows FROM shiftwork_jobs WHERE seq > ?",
        Number(top[0]?.top ?? 0),
      );
      const rows = (JSON.parse(String(added[0]?.rows ?? "[]")) as [number, string | null][]).map(
        ([seq, key]) => ({ seq, key }),
      );
      // Rows come back in no set order; sorted by seq they follow the jobs that were inserted. A
      // keyed job was inserted iff the next row carries its key: had it been skipped, a live job
      // already held the key, so no row of this batch can carry it.
      const inserted = rows.sort((a, b) => a.seq - b.seq);
      const out: EnqueueResult[] = [];
      let next = 0;
      for (const [i, job] of jobs.entries()) {
        const row = inserted[next];
        if (row && (job.key === null || row.key === job.key)) {
          out.push({ job: newRecord(job, row.seq, inputs[i] as string, now), created: true });
          next++;
          continue;
        }
        out.push({ job: yield* keyHolder(job.key), created: false });
      }
      return out;
    },

    *claim(request: ClaimRequest): Verb<ClaimedJob[]> {
      return (yield* claimEach([request]))[0] as ClaimedJob[];
    },

    claimEach,

    *extendLeases(leases: readonly Lease[], leaseMs: number, now: number): Verb<LeaseStatus[]> {
      const pairs = leases.map((l) => [codec.seqOf(l.id), l.token]);
      // One statement for every lease this process holds.
      const { rows } = yield q(
        `UPDATE shiftwork_jobs SET lease_expires_at = ?
         WHERE state = 'active' AND (seq, lease_token) IN (
           SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
         RETURNING seq, lease_token, cancel_requested`,
        now + leaseMs,
        JSON.stringify(pairs),
      );
      const held = new Map(
        rows.map((r) => [`${r.seq}/${r.lease_token}`, Number(r.cancel_requested) === 1]),
      );
      return pairs.map(([seq, token]) => {
        const cancel = held.get(`${seq}/${token}`);
        return cancel === undefined ? "lost" : cancel ? "cancel-requested" : "extended";
      });
    },

    /**
     * Writes results, fenced by their tokens; per result, whether it was written. Unless `exact`, a
     * batch of completions in which a token no longer holds its job throws {@link RefusedInBatch}
     * (see `completeMany`): run it again with `exact`.
     */
    *record(results: readonly JobResult[], now: number, exact = false): Verb<boolean[]> {
      const written: boolean[] = [];
      for (let i = 0; i < results.length; ) {
        // A run of completions of distinct jobs (the drain's common case) goes in one statement.
        let end = i;
        const ids = new Set<string>();
        while (results[end]?.kind === "completed" && !ids.has((results[end] as JobResult).id)) {
          ids.add((results[end] as JobResult).id);
          end++;
        }
        if (end - i > 1) {
          written.push(...(yield* completeMany(results.slice(i, end), now, exact)));
          i = end;
          continue;
        }
        const result = results[i++] as JobResult;
        const update = resultUpdate(result, now);
        const seq = codec.seqOf(result.id);
        if (seq === null) {
          written.push(false);
          continue;
        }
        // RETURNING rather than a change count: every engine reports returned rows the same way.
        const { rows } = yield q(
          `UPDATE shiftwork_jobs SET ${update.sql}, updated_at = ?
           WHERE seq = ? AND state = 'active' AND lease_token = ?
           RETURNING seq`,
          ...update.args,
          now,
          seq,
          result.token,
        );
        written.push(rows.length === 1);
      }
      return written;
    },

    *rescueExpired(now: number): Verb<JobRecord[]> {
      const error = json({
        name: "LeaseExpired",
        message: "lease expired: the worker stopped answering",
      });
      const { rows } = yield q(
        `UPDATE shiftwork_jobs SET
           ${END_ATTEMPT},
           state = CASE WHEN cancel_requested = 1 THEN 'cancelled'
                        WHEN attempt >= max_attempts THEN 'failed' ELSE 'waiting' END,
           error = CASE WHEN cancel_requested = 0 AND attempt >= max_attempts THEN ? ELSE error END,
           finished_at = CASE WHEN cancel_requested = 1 OR attempt >= max_attempts THEN ? ELSE NULL END,
           run_at = CASE WHEN cancel_requested = 1 OR attempt >= max_attempts THEN run_at ELSE ? END,
           lease_token = NULL, lease_expires_at = NULL, updated_at = ?
         WHERE state = 'active' AND lease_expires_at <= ?
         RETURNING *`,
        now,
        "stalled",
        error,
        error,
        now,
        now,
        now,
        now,
      );
      return rows.map(toJob).sort((a, b) => a.seq - b.seq);
    },

    *cancel(id: string, reason: string, now: number): Verb<JobRecord> {
      const job = yield* findJob(id, "cancel");
      if (job.state === "waiting") {
        yield q(
          `UPDATE shiftwork_jobs SET state = 'cancelled', cancel_reason = ?, finished_at = ?, updated_at = ?
           WHERE seq = ?`,
          reason,
          now,
          now,
          job.seq,
        );
      } else if (job.state === "active") {
        yield q(
          "UPDATE shiftwork_jobs SET cancel_requested = 1, cancel_reason = ?, updated_at = ? WHERE seq = ?",
          reason,
          now,
          job.seq,
        );
      } else {
        throw new JobStateError(job.id, job.state, "cancel");
      }
      return yield* findJob(id, "cancel");
    },

    *retry(id: string, now: number): Verb<JobRecord> {
      const job = yield* findJob(id, "retry");
      if (job.state !== "failed" && job.state !== "cancelled") {
        throw new JobStateError(job.id, job.state, "retry");
      }
      if (job.key !== null) {
        const { rows } = yield q(
          `SELECT seq FROM shiftwork_jobs WHERE key = ? AND state IN ${LIVE}`,
          job.key,
        );
        if (rows[0]) {
          throw new ShiftworkError(
            `cannot retry job "${job.id}": its key "${job.key}" is held by job "${codec.idOf(Number(rows[0].seq))}"`,
          );
        }
      }
      yield q(
        `UPDATE shiftwork_jobs SET state = 'waiting', attempt = 0, run_at = ?, finished_at = NULL,
           cancel_reason = NULL, cancel_requested = 0, updated_at = ?
         WHERE seq = ?`,
        now,
        now,
        job.seq,
      );
      return yield* findJob(id, "retry");
    },

    *setPaused(queue: string, paused: boolean): Verb<void> {
      yield q(
        `INSERT INTO shiftwork_queues (queue, paused) VALUES (?, ?)
         ON CONFLICT (queue) DO UPDATE SET paused = excluded.paused`,
        queue,
        paused ? 1 : 0,
      );
    },

    *get(id: string): Verb<JobRecord | null> {
      const seq = codec.seqOf(id);
      if (seq === null) return null;
      const { rows } = yield q("SELECT * FROM shiftwork_jobs WHERE seq = ?", seq);
      return rows[0] ? toJob(rows[0]) : null;
    },

    *list({ state, name, queue, limit, cursor }: ListQuery): Verb<JobPage> {
      const clauses: string[] = [];
      const args: SqlValue[] = [];
      if (state === "waiting") clauses.push("state IN ('waiting', 'delayed')");
      else if (state !== undefined) {
        clauses.push("state = ?");
        args.push(state);
      }
      if (name !== undefined) {
        clauses.push("name = ?");
        args.push(name);
      }
      if (queue !== undefined) {
        clauses.push("queue = ?");
        args.push(queue);
      }
      if (cursor !== undefined) {
        clauses.push("seq < ?");
        args.push(cursor);
      }
      const where = clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
      const { rows } = yield q(
        `SELECT * FROM shiftwork_jobs ${where} ORDER BY seq DESC LIMIT ?`,
        ...args,
        limit + 1,
      );
      const jobs = rows.slice(0, limit).map(toJob);
      return { jobs, nextCursor: rows.length > limit ? (jobs.at(-1)?.seq ?? null) : null };
    },

    *stats(now: number): Verb<QueueStats[]> {
      const { rows } = yield q(
        `SELECT queue, state, count(*) AS n, sum(run_at > ?) AS later
         FROM shiftwork_jobs GROUP BY queue, state`,
        now,
      );
      const { rows: queues } = yield q("SELECT queue, paused FROM shiftwork_queues");
      const byQueue = new Map<string, QueueStats>();
      const entry = (queue: string) => {
        let stats = byQueue.get(queue);
        if (!stats) {
          stats = emptyQueueStats(queue);
          byQueue.set(queue, stats);
        }
        return stats;
      };
      for (const row of queues) {
        if (Number(row.paused) === 1) entry(String(row.queue)).paused = true;
      }
      for (const row of rows) {
        const stats = entry(String(row.queue));
        const n = Number(row.n);
        if (row.state === "waiting" || row.state === "delayed") {
          stats.waiting += n;
          stats.delayed += Number(row.later ?? 0);
        } else {
          stats[row.state as "active" | "completed" | "failed" | "cancelled"] += n;
        }
      }
      return [...byQueue.values()].sort(byQueueName);
    },

    *prune({ before, states }: PruneRequest): Verb<number> {
      const { rows } = yield q(
        // The newest row stays, whatever its state: without AUTOINCREMENT SQLite numbers the next
        // job max(seq) + 1, so deleting the newest would hand its id out again.
        `DELETE FROM shiftwork_jobs WHERE finished_at IS NOT NULL AND finished_at < ?
         AND state IN (${placeholders(states.length)})
         AND seq < (SELECT max(seq) FROM shiftwork_jobs)
         RETURNING seq`,
        before,
        ...states,
      );
      return rows.length;
    },

    *nextWakeAt(filter: ClaimFilter): Verb<number | null> {
      const where = filterSql(filter);
      const ready = readyWakeSql(where);
      // One minimum per partial index (ready, delayed, active leases): `state IN (...)` would
      // match neither state's index and read every row the table holds, finished ones included.
      // A FROM-less SELECT tests its WHERE once: a paused queue's jobs are not read at all.
      const open = where.open ? ` WHERE ${where.open.sql}` : "";
      const openArgs = where.open?.args ?? [];
      const { rows } = yield q(
        `SELECT min(t) AS t FROM (
           SELECT ${ready.sql} AS t${open}
           UNION ALL
           SELECT (SELECT min(run_at) FROM shiftwork_jobs WHERE state = 'delayed'${where.sql})${open}
           UNION ALL
           SELECT min(lease_expires_at) FROM shiftwork_jobs WHERE state = 'active')`,
        ...ready.args,
        ...openArgs,
        ...where.args,
        ...openArgs,
      );
      const t = rows[0]?.t;
      return t === null || t === undefined ? null : Number(t);
    },
  };
}

/** The SET clause that records one result. */
function resultUpdate(result: JobResult, now: number): Query {
  // Due at once: ready; later: delayed (see the indexes in schema.ts).
  const requeue = "state = CASE WHEN ? <= ? THEN 'waiting' ELSE 'delayed' END";
  const clear = "lease_token = NULL, lease_expires_at = NULL";
  switch (result.kind) {
    case "progress":
      return q("progress = ?", json(result.progress));
    case "completed":
      return q(
        `state = 'completed', output = ?, finished_at = ?, ${clear}, ${END_ATTEMPT}`,
        json(result.output),
        now,
        now,
        "completed",
        null,
      );
    case "failed":
      return q(
        `state = 'failed', error = ?, finished_at = ?, ${clear}, ${END_ATTEMPT}`,
        json(result.error),
        now,
        now,
        "failed",
        json(result.error),
      );
    case "cancelled":
      return q(
        `state = 'cancelled', cancel_reason = COALESCE(cancel_reason, ?), finished_at = ?, ${clear}, ${END_ATTEMPT}`,
        result.reason,
        now,
        now,
        "cancelled",
        null,
      );
    case "retry":
      return q(
        `${requeue}, run_at = ?, error = ?, ${clear}, ${END_ATTEMPT}`,
        result.runAt,
        now,
        result.runAt,
        json(result.error),
        now,
        "retry",
        json(result.error),
      );
    case "snoozed":
      return q(
        `${requeue}, run_at = ?, attempt = attempt - 1, ${clear}, ${END_ATTEMPT}`,
        result.runAt,
        now,
        result.runAt,
        now,
        "snoozed",
        null,
      );
    case "released":
      return q(
        `state = 'waiting', run_at = ?, attempt = attempt - 1, ${clear}, ${END_ATTEMPT}`,
        now,
        now,
        "released",
        null,
      );
  }
}
