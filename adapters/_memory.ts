import { JobNotFoundError, JobStateError, ShiftworkError } from "../src/errors.js";
import {
  checkClaim,
  checkClaims,
  checkEnqueueClaim,
  checkFilter,
  checkId,
  checkLeases,
  checkListQuery,
  checkNewJobs,
  checkNow,
  checkPrune,
  checkQueue,
  checkResults,
} from "../src/port-schemas.js";
import type {
  Attempt,
  ClaimedJob,
  ClaimFilter,
  ClaimRequest,
  EnqueueResult,
  JobRecord,
  JobResult,
  Json,
  LeaseStatus,
  QueueStats,
  Storage,
} from "../src/ports.js";
import { byQueueName, emptyQueueStats, matchesFilter, newJobRecord } from "../src/ports.js";

/**
 * The rules the memory adapter applies, as functions. The meta-test swaps one for a broken rule to
 * show the conformance suite notices; `memoryStorage()` uses {@link correctRules}.
 */
export interface MemoryRules {
  /** Order of ready jobs in a claim. */
  compareReady(a: JobRecord, b: JobRecord): number;
  /** Whether a presented token fences the job. */
  holdsLease(job: JobRecord, token: string): boolean;
  /**
   * Whether a new job may be claimed as it is enqueued, given the job a claim now would take first
   * (`undefined`: none; the new job is stored already, so it is a candidate).
   */
  mayHandOff(job: JobRecord, first: JobRecord | undefined): boolean;
}

/**
 * The real rules: priority, then run time, then insertion order; the token must match; a new job
 * is handed off only when it is the first a claim would take.
 */
export const correctRules: MemoryRules = {
  compareReady: (a, b) => a.priority - b.priority || a.runAt - b.runAt || a.seq - b.seq,
  holdsLease: (job, token) => job.state === "active" && job.leaseToken === token,
  mayHandOff: (job, first) => first === job,
};

const FINISHED = new Set(["completed", "failed", "cancelled"]);
const REQUEUES = new Set(["retry", "snoozed", "released"]);

/** Builds an in-memory Storage that follows `rules`. */
export function createMemoryStorage(rules: MemoryRules = correctRules): Storage {
  const jobs = new Map<string, JobRecord>();
  const keys = new Map<string, string>();
  const paused = new Set<string>();
  let seq = 0;
  const listeners = new Set<() => void>();
  // Two Managers may share one memory storage: tell them when new work may be claimable.
  const notify = () => {
    if (listeners.size > 0)
      queueMicrotask(() => {
        for (const listener of listeners) listener();
      });
  };

  const copy = <T>(value: T): T => structuredClone(value);
  const find = (id: string, verb: string): JobRecord => {
    const job = jobs.get(checkId(id, verb));
    if (!job) throw new JobNotFoundError(id);
    return job;
  };
  const currentAttempt = (job: JobRecord): Attempt | undefined => job.attempts.at(-1);
  const endAttempt = (
    job: JobRecord,
    now: number,
    outcome: NonNullable<Attempt["outcome"]>,
    error: Attempt["error"] = null,
  ) => {
    const attempt = currentAttempt(job);
    if (attempt && attempt.endedAt === null)
      Object.assign(attempt, { endedAt: now, outcome, error });
  };
  const clearLease = (job: JobRecord) => {
    job.leaseToken = null;
    job.leaseExpiresAt = null;
  };
  const finish = (job: JobRecord, state: JobRecord["state"], now: number) => {
    job.state = state;
    job.finishedAt = now;
    clearLease(job);
    if (job.key !== null && keys.get(job.key) === job.id) keys.delete(job.key);
  };
  const requeue = (job: JobRecord, runAt: number) => {
    job.state = "waiting";
    job.runAt = runAt;
    clearLease(job);
  };

  const apply = (job: JobRecord, result: JobResult, now: number) => {
    job.updatedAt = now;
    switch (result.kind) {
      case "progress":
        job.progress = copy(result.progress) as Json;
        return;
      case "completed":
        job.output = copy(result.output) as Json;
        endAttempt(job, now, "completed");
        return finish(job, "completed", now);
      case "failed":
        // Copies, as for output: the caller's object (the Manager hands it to event listeners
        // too) must not be the stored one.
        job.error = copy(result.error);
        endAttempt(job, now, "failed", copy(result.error));
        return finish(job, "failed", now);
      case "cancelled":
        // A reason given to cancel() wins over the holder's generic one.
        job.cancelReason = job.cancelReason ?? result.reason;
        endAttempt(job, now, "cancelled");
        return finish(job, "cancelled", now);
      case "retry":
        job.error = copy(result.error);
        endAttempt(job, now, "retry", copy(result.error));
        return requeue(job, result.runAt);
      case "snoozed":
        endAttempt(job, now, "snoozed");
        job.attempt -= 1;
        return requeue(job, result.runAt);
      case "released":
        endAttempt(job, now, "released");
        job.attempt -= 1;
        return requeue(job, now);
    }
  };

  /**
   * The first `limit` jobs a claim of `filter` at `now` would take, in claim order. One pass that
   * keeps only the best `limit` (binary insertion), not a sort of every ready job: a claim of 16
   * from a backlog of 50,000 was ~230 µs per job claimed.
   */
  const ready = (filter: ClaimFilter, now: number, limit: number): JobRecord[] => {
    const best: JobRecord[] = [];
    if (limit <= 0) return best;
    for (const job of jobs.values()) {
      if (job.state !== "waiting" || job.runAt > now || paused.has(job.queue)) continue;
      if (!matchesFilter(filter, job)) continue;
      const last = best[best.length - 1];
      if (best.length === limit && last && rules.compareReady(job, last) >= 0) continue;
      let lo = 0;
      let hi = best.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (rules.compareReady(best[mid] as JobRecord, job) <= 0) lo = mid + 1;
        else hi = mid;
      }
      best.splice(lo, 0, job);
      if (best.length > limit) best.pop();
    }
    return best;
  };

  /** A claim of checked arguments. */
  const claimChecked = ({ limit, leaseMs, now, ...filter }: ClaimRequest): ClaimedJob[] =>
    ready(filter, now, limit).map((job) => take(job, leaseMs, now));

  /** Claims `job`: a new attempt under a fresh lease. */
  const take = (job: JobRecord, leaseMs: number, now: number): ClaimedJob => {
    job.state = "active";
    job.attempt += 1;
    job.leaseToken = crypto.randomUUID();
    job.leaseExpiresAt = now + leaseMs;
    job.updatedAt = now;
    job.attempts.push({
      attempt: job.attempt,
      startedAt: now,
      endedAt: null,
      outcome: null,
      error: null,
    });
    return copy(job) as ClaimedJob;
  };

  /** A write of checked results. */
  const recordChecked = (checked: readonly JobResult[], now: number): boolean[] => {
    const written = checked.map((result) => {
      const job = jobs.get(result.id);
      if (!job || !rules.holdsLease(job, result.token)) return false;
      apply(job, result, now);
      return true;
    });
    if (checked.some((r, i) => written[i] && REQUEUES.has(r.kind))) notify();
    return written;
  };

  return {
    name: "memory",
    migrate() {},

    enqueue(batch, now, claim) {
      const checked = checkNewJobs(batch, now);
      const handOff = checkEnqueueClaim(claim);
      // Work on a draft of the key table so a failure half-way stores nothing.
      const pendingKeys = new Map<string, JobRecord>();
      const out = checked.map((item) => {
        const holderId = item.key === null ? undefined : keys.get(item.key);
        const holder =
          (item.key !== null ? pendingKeys.get(item.key) : undefined) ??
          (holderId !== undefined ? jobs.get(holderId) : undefined);
        if (holder) return { job: holder, created: false };
        seq += 1;
        const job = newJobRecord(item, String(seq), seq, copy(item.input) as Json, now);
        if (item.key !== null) pendingKeys.set(item.key, job);
        return { job, created: true };
      });
      for (const { job, created } of out) {
        if (!created) continue;
        jobs.set(job.id, job);
        if (job.key !== null) keys.set(job.key, job.id);
      }
      const [only] = out;
      // The hand-off: the claim made now, when the new job is the first it would take.
      if (
        handOff &&
        out.length === 1 &&
        only?.created &&
        rules.mayHandOff(only.job, ready(handOff, now, 1)[0])
      ) {
        const claimed = take(only.job, handOff.leaseMs, now);
        return [{ job: copy(claimed), created: true, claimed }];
      }
      if (out.some((r) => r.created)) notify();
      return out.map(({ job, created }): EnqueueResult => ({ job: copy(job), created }));
    },

    claim(request) {
      return claimChecked(checkClaim(request));
    },

    extendLeases(leases, leaseMs, now) {
      return checkLeases(leases, leaseMs, now).map(({ id, token }): LeaseStatus => {
        const job = jobs.get(id);
        if (!job || !rules.holdsLease(job, token)) return "lost";
        job.leaseExpiresAt = now + leaseMs;
        return job.cancelRequested ? "cancel-requested" : "extended";
      });
    },

    record(results, now) {
      return recordChecked(checkResults(results, now), now);
    },

    recordAndClaim(results, requests, now) {
      const checked = checkResults(results, now);
      const claims = checkClaims(requests);
      // Synchronous, so as atomic as one transaction. The checked halves, not `this`'s verbs: a
      // wrapper made by spreading this object must not have its overrides called from in here.
      const written = recordChecked(checked, now);
      return { written, claimed: claims.map(claimChecked) };
    },

    rescueExpired(now) {
      checkNow(now, "rescueExpired");
      const rescued: JobRecord[] = [];
      for (const job of jobs.values()) {
        if (job.state !== "active" || (job.leaseExpiresAt ?? Number.POSITIVE_INFINITY) > now)
          continue;
        const error = {
          name: "LeaseExpired",
          message: "lease expired: the worker stopped answering",
        };
        endAttempt(job, now, "stalled", error);
        job.updatedAt = now;
        if (job.cancelRequested) finish(job, "cancelled", now);
        else if (job.attempt >= job.maxAttempts) {
          job.error = error;
          finish(job, "failed", now);
        } else requeue(job, now);
        rescued.push(copy(job));
      }
      if (rescued.length > 0) notify();
      return rescued;
    },

    cancel(id, reason, now) {
      checkNow(now, "cancel");
      const job = find(id, "cancel");
      if (job.state === "waiting") {
        job.cancelReason = String(reason);
        job.updatedAt = now;
        finish(job, "cancelled", now);
      } else if (job.state === "active") {
        job.cancelRequested = true;
        job.cancelReason = String(reason);
        job.updatedAt = now;
      } else {
        throw new JobStateError(job.id, job.state, "cancel");
      }
      return copy(job);
    },

    retry(id, now) {
      checkNow(now, "retry");
      const job = find(id, "retry");
      if (job.state !== "failed" && job.state !== "cancelled") {
        throw new JobStateError(job.id, job.state, "retry");
      }
      if (job.key !== null && keys.has(job.key)) {
        throw new ShiftworkError(
          `cannot retry job "${job.id}": its key "${job.key}" is held by job "${keys.get(job.key)}"`,
        );
      }
      Object.assign(job, {
        attempt: 0,
        runAt: now,
        finishedAt: null,
        cancelReason: null,
        cancelRequested: false,
        updatedAt: now,
      });
      requeue(job, now);
      if (job.key !== null) keys.set(job.key, job.id);
      notify();
      return copy(job);
    },

    setPaused(queue, isPaused) {
      checkQueue(queue, "setPaused");
      if (isPaused) paused.add(queue);
      else {
        paused.delete(queue);
        notify();
      }
    },

    get(id) {
      const job = jobs.get(checkId(id, "get"));
      return job ? copy(job) : null;
    },

    list(query) {
      const { state, name, queue, limit, cursor } = checkListQuery(query);
      const matching = [...jobs.values()]
        .filter(
          (job) =>
            (state === undefined || job.state === state) &&
            (name === undefined || job.name === name) &&
            (queue === undefined || job.queue === queue) &&
            (cursor === undefined || job.seq < cursor),
        )
        .sort((a, b) => b.seq - a.seq);
      const page = matching.slice(0, limit);
      return {
        jobs: page.map(copy),
        nextCursor: matching.length > limit ? (page.at(-1)?.seq ?? null) : null,
      };
    },

    stats(now) {
      checkNow(now, "stats");
      const byQueue = new Map<string, QueueStats>();
      const entry = (queue: string) => {
        let stats = byQueue.get(queue);
        if (!stats) {
          stats = emptyQueueStats(queue, paused.has(queue));
          byQueue.set(queue, stats);
        }
        return stats;
      };
      for (const queue of paused) entry(queue);
      for (const job of jobs.values()) {
        const stats = entry(job.queue);
        stats[job.state] += 1;
        if (job.state === "waiting" && job.runAt > now) stats.delayed += 1;
      }
      return [...byQueue.values()].sort(byQueueName);
    },

    prune(request) {
      const { before, states } = checkPrune(request);
      let removed = 0;
      for (const [id, job] of jobs) {
        if (
          FINISHED.has(job.state) &&
          states.includes(job.state as never) &&
          (job.finishedAt ?? 0) < before
        ) {
          jobs.delete(id);
          removed += 1;
        }
      }
      return removed;
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    nextWakeAt(filter) {
      const { queues, names } = checkFilter(filter);
      let earliest: number | null = null;
      const consider = (time: number) => {
        if (earliest === null || time < earliest) earliest = time;
      };
      for (const job of jobs.values()) {
        if (job.state === "active" && job.leaseExpiresAt !== null) consider(job.leaseExpiresAt);
        else if (
          job.state === "waiting" &&
          !paused.has(job.queue) &&
          (!queues?.length || queues.includes(job.queue)) &&
          (!names?.length || names.includes(job.name))
        ) {
          consider(job.runAt);
        }
      }
      return earliest;
    },
  };
}
