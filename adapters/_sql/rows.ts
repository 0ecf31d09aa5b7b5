import type { Attempt, ErrorInfo, JobRecord, JobState, Json } from "../../src/ports.js";
import type { Row } from "./driver.js";

const parse = <T>(text: unknown, fallback: T): T =>
  typeof text === "string" ? (JSON.parse(text) as T) : fallback;

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

/** The columns of `shiftwork_jobs`, in table order. */
export const JOB_COLUMNS = [
  "seq",
  "name",
  "queue",
  "input",
  "state",
  "priority",
  "run_at",
  "attempt",
  "max_attempts",
  "key",
  "progress",
  "output",
  "error",
  "cancel_reason",
  "cancel_requested",
  "lease_token",
  "lease_expires_at",
  "earlier_attempts",
  "created_at",
  "updated_at",
  "finished_at",
  "last_attempt",
  "last_started_at",
  "last_ended_at",
  "last_outcome",
  "last_error",
] as const;

/** Maps a `shiftwork_jobs` row to a job. The internal `delayed` state is public `waiting`. */
export function rowToJob(row: Row, idOf: (seq: number) => string): JobRecord {
  return valuesToJob(
    JOB_COLUMNS.map((column) => row[column]),
    idOf,
  );
}

/**
 * Maps a row's values in {@link JOB_COLUMNS} order to a job, with no row object in between (see
 * {@link claimedToJob} for the claim's own read-back).
 */
export function valuesToJob(v: readonly unknown[], idOf: (seq: number) => string): JobRecord {
  const seq = num(v[0]);
  return {
    id: idOf(seq),
    seq,
    name: String(v[1]),
    queue: String(v[2]),
    input: parse<Json>(v[3], null),
    state: (v[4] === "delayed" ? "waiting" : v[4]) as JobState,
    priority: num(v[5]),
    runAt: num(v[6]),
    attempt: num(v[7]),
    maxAttempts: num(v[8]),
    key: (v[9] as string | null) ?? null,
    progress: parse<Json>(v[10], null),
    output: parse<Json>(v[11], null),
    error: parse<ErrorInfo | null>(v[12], null),
    cancelReason: (v[13] as string | null) ?? null,
    cancelRequested: num(v[14]) === 1,
    leaseToken: (v[15] as string | null) ?? null,
    leaseExpiresAt: numOrNull(v[16]),
    attempts: attemptsOf(v),
    createdAt: num(v[18]),
    updatedAt: num(v[19]),
    finishedAt: numOrNull(v[20]),
  };
}

/**
 * The columns a claim sets to values it knows (`CLAIM_SET` in verbs.ts): no need to read them back.
 * (`attempt` and `earlier_attempts` it writes too, from their old values: those are read.)
 */
const CLAIM_WRITES = new Set<string>([
  "state",
  "lease_token",
  "lease_expires_at",
  "updated_at",
  "last_attempt",
  "last_started_at",
  "last_ended_at",
  "last_outcome",
  "last_error",
]);

/**
 * The columns a claim reads back, in table order, which {@link claimedToJob} takes them in: those
 * whose new value the claim does not fix.
 */
export const CLAIMED_COLUMNS: readonly string[] = JOB_COLUMNS.filter(
  (column) => !CLAIM_WRITES.has(column),
);

/** An attempt a claim has just started: no end, outcome or error yet. */
export const openAttempt = (attempt: number, startedAt: number): Attempt => ({
  attempt,
  startedAt,
  endedAt: null,
  outcome: null,
  error: null,
});

/** Where the (new) attempt number is among {@link CLAIMED_COLUMNS}: the last attempt's, too. */
const CLAIMED_ATTEMPT = CLAIMED_COLUMNS.indexOf("attempt");

/** What one claim wrote into every row it took (see `CLAIM_SET` in verbs.ts). */
export interface ClaimWrite {
  /** The claim's token: each row's lease token is `token.seq`. */
  token: string;
  leaseExpiresAt: number;
  now: number;
}

/**
 * Maps a claimed row's values in {@link CLAIMED_COLUMNS} order to its job: the claim's own writes
 * go back in their places, and the row is read as any other ({@link valuesToJob}).
 */
export function claimedToJob(
  v: readonly unknown[],
  idOf: (seq: number) => string,
  claim: ClaimWrite,
): JobRecord {
  const seq = num(v[0]);
  const attempt = v[CLAIMED_ATTEMPT];
  const wrote: Record<string, unknown> = {
    state: "active",
    lease_token: `${claim.token}.${seq}`,
    lease_expires_at: claim.leaseExpiresAt,
    updated_at: claim.now,
    last_attempt: attempt,
    last_started_at: claim.now,
    last_ended_at: null,
    last_outcome: null,
    last_error: null,
  };
  let next = 0;
  return valuesToJob(
    JOB_COLUMNS.map((column) => (CLAIM_WRITES.has(column) ? wrote[column] : v[next++])),
    idOf,
  );
}

/**
 * A job's attempts: the earlier ones (the `earlier_attempts` JSON array) and then the last one,
 * which has columns of its own so that a claim and its result write no JSON.
 */
function attemptsOf(v: readonly unknown[]): Attempt[] {
  const attempts = parse<Attempt[]>(v[17], []);
  if (v[22] !== null && v[22] !== undefined) {
    attempts.push({
      attempt: num(v[21]),
      startedAt: num(v[22]),
      endedAt: numOrNull(v[23]),
      outcome: (v[24] as Attempt["outcome"] | undefined) ?? null,
      error: parse<ErrorInfo | null>(v[25], null),
    });
  }
  return attempts;
}

/** JSON text of a value for a TEXT column (`undefined` stores SQL NULL). */
export const json = (value: unknown): string | null =>
  value === undefined ? null : JSON.stringify(value);
