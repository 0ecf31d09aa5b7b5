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
  "attempts",
  "created_at",
  "updated_at",
  "finished_at",
] as const;

/** A row from its values in {@link JOB_COLUMNS} order (as a `json_array` of them gives them). */
export function rowOf(values: readonly unknown[]): Row {
  const row: Row = {};
  for (let i = 0; i < JOB_COLUMNS.length; i++) row[JOB_COLUMNS[i] as string] = values[i];
  return row;
}

/** Maps a `shiftwork_jobs` row to a job. The internal `delayed` state is public `waiting`. */
export function rowToJob(row: Row, idOf: (seq: number) => string): JobRecord {
  const seq = num(row.seq);
  return {
    id: idOf(seq),
    seq,
    name: String(row.name),
    queue: String(row.queue),
    input: parse<Json>(row.input, null),
    state: (row.state === "delayed" ? "waiting" : row.state) as JobState,
    priority: num(row.priority),
    runAt: num(row.run_at),
    attempt: num(row.attempt),
    maxAttempts: num(row.max_attempts),
    key: (row.key as string | null) ?? null,
    progress: parse<Json>(row.progress, null),
    output: parse<Json>(row.output, null),
    error: parse<ErrorInfo | null>(row.error, null),
    cancelReason: (row.cancel_reason as string | null) ?? null,
    cancelRequested: num(row.cancel_requested) === 1,
    leaseToken: (row.lease_token as string | null) ?? null,
    leaseExpiresAt: numOrNull(row.lease_expires_at),
    attempts: parse<Attempt[]>(row.attempts, []),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    finishedAt: numOrNull(row.finished_at),
  };
}

/** JSON text of a value for a TEXT column (`undefined` stores SQL NULL). */
export const json = (value: unknown): string | null =>
  value === undefined ? null : JSON.stringify(value);
