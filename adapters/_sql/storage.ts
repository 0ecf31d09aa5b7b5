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
} from "../../src/port-schemas.js";
import {
  type ClaimFilter,
  type EnqueueClaim,
  type EnqueueResult,
  isPromise,
  type NewJob,
  type Storage,
} from "../../src/ports.js";
import type { Again, SqlEngine, Verb } from "./driver.js";
import { type EnqueueRun, enqueueGroup } from "./enqueue-group.js";
import { needsQueueIndex } from "./filters.js";
import { type IdCodec, RefusedInBatch, sqlVerbs } from "./verbs.js";

/** Ids are the sequence number as a decimal string. */
export const plainIds: IdCodec = {
  idOf: (seq) => String(seq),
  seqOf: (id) => (/^[1-9]\d{0,15}$/.test(id) ? Number(id) : null),
};

/** Options of {@link sqlStorage}. */
export interface SqlStorageOptions {
  /**
   * Group-commit enqueues made in the same microtask turn into one transaction (see
   * `enqueue-group.ts`). Enqueue then answers with a promise, except for a hand-off written at
   * once, which a synchronous engine answers at once: off for Durable Object SQLite, whose callers
   * expect synchronous answers.
   */
  groupEnqueues?: boolean;
}

/**
 * A Storage over any SQL engine: arguments checked with the shared port schemas, then the verb
 * runs in one transaction. Sync engines give sync answers (Durable Object SQLite), async ones
 * promises (`@libsql/client`).
 */
export function sqlStorage(
  engine: SqlEngine,
  codec: IdCodec = plainIds,
  options: SqlStorageOptions = {},
): Storage & { engine: SqlEngine } {
  const verbs = sqlVerbs(codec);
  const write = <T>(verb: () => Verb<T>, again?: Again<T>) =>
    engine.transaction("write", verb, again);
  const read = <T>(verb: () => Verb<T>) => engine.transaction("read", verb);
  /**
   * Whether this storage made sure the ready index by queue exists. The first claim, wake-up or
   * hand-off of a filter that walks it (a queue group's) makes it first, in its own transaction,
   * which is a write then; nothing drops it after, so later ones skip the check.
   */
  let queueIndexed = false;
  /** Whether a query of `filters` must make the ready index by queue first. */
  const unindexed = (filters: readonly ClaimFilter[]) =>
    !queueIndexed && filters.some(needsQueueIndex);
  /**
   * Runs `verb` in a write that first makes the ready index by queue: one transaction, so the call
   * keeps its place among this storage's others on an engine that queues them.
   */
  const writeIndexed = <T>(verb: () => Verb<T>, again?: Again<T>) => {
    const indexed = (after: () => Verb<T>) =>
      function* () {
        yield* verbs.makeQueueIndex();
        return yield* after();
      };
    const next =
      again &&
      ((error: unknown) => {
        const exact = again(error);
        return exact && indexed(exact);
      });
    return maybeThen(write(indexed(verb), next), (value) => {
      queueIndexed = true;
      return value;
    });
  };
  const writeJobs = (jobs: readonly NewJob[], now: number, claim?: EnqueueClaim) => {
    const verb = () => verbs.enqueue(jobs, now, claim);
    if (claim && unindexed([claim])) return writeIndexed(verb);
    // One job without a key is one INSERT (its hand-off included): no transaction around it where
    // the engine allows.
    return jobs.length === 1 && jobs[0]?.key === null && engine.single
      ? engine.single(verb)
      : write(verb);
  };
  const writeRuns = (runs: EnqueueRun[]) => {
    const [run] = runs as [EnqueueRun];
    return runs.length === 1
      ? maybeThen(writeJobs(run.jobs, run.now, run.claim), (r) => [r])
      : (runs.some((r) => r.claim && unindexed([r.claim])) ? writeIndexed : write)(function* () {
          const out: EnqueueResult[][] = [];
          for (const { jobs, now, claim } of runs) out.push(yield* verbs.enqueue(jobs, now, claim));
          return out;
        });
  };
  const grouped = options.groupEnqueues ? enqueueGroup(writeRuns) : undefined;
  return {
    name: engine.name,
    engine,
    migrate: () => write(() => verbs.migrate()),
    enqueue(jobs, now, claim) {
      const checked = checkNewJobs(jobs, now);
      const handOff = checkEnqueueClaim(claim);
      return grouped ? grouped(checked, now, handOff) : writeJobs(checked, now, handOff);
    },
    claim(request) {
      const checked = checkClaim(request);
      const verb = () => verbs.claim(checked);
      return unindexed([checked]) ? writeIndexed(verb) : write(verb);
    },
    extendLeases(leases, leaseMs, now) {
      const checked = checkLeases(leases, leaseMs, now);
      return write(() => verbs.extendLeases(checked, leaseMs, now));
    },
    record(results, now) {
      const checked = checkResults(results, now);
      const verb = (exact: boolean) => () => verbs.record(checked, now, exact);
      return write(verb(false), exactly(verb(true)));
    },
    recordAndClaim(results, requests, now) {
      const checked = checkResults(results, now);
      const claims = checkClaims(requests);
      const verb = (exact: boolean) =>
        function* () {
          const written = yield* verbs.record(checked, now, exact);
          return { written, claimed: yield* verbs.claimEach(claims) };
        };
      return (unindexed(claims) ? writeIndexed : write)(verb(false), exactly(verb(true)));
    },
    rescueExpired(now) {
      checkNow(now, "rescueExpired");
      return write(() => verbs.rescueExpired(now));
    },
    cancel(id, reason, now) {
      checkId(id, "cancel");
      checkNow(now, "cancel");
      return write(() => verbs.cancel(id, String(reason), now));
    },
    retry(id, now) {
      checkId(id, "retry");
      checkNow(now, "retry");
      return write(() => verbs.retry(id, now));
    },
    setPaused(queue, paused) {
      checkQueue(queue, "setPaused");
      return write(() => verbs.setPaused(queue, paused === true));
    },
    get(id) {
      checkId(id, "get");
      return read(() => verbs.get(id));
    },
    list(query) {
      const checked = checkListQuery(query);
      return read(() => verbs.list(checked));
    },
    stats(now) {
      checkNow(now, "stats");
      return read(() => verbs.stats(now));
    },
    prune(request) {
      const checked = checkPrune(request);
      return write(() => verbs.prune(checked));
    },
    nextWakeAt(filter) {
      const checked = checkFilter(filter);
      const verb = () => verbs.nextWakeAt(checked);
      return unindexed([checked]) ? writeIndexed(verb) : read(verb);
    },
    close: () => engine.close?.(),
  };
}

/**
 * The results write's second chance: a batch of completions that held a refused token threw
 * `RefusedInBatch` (that transaction is undone), and `exact`, the same verb with `RETURNING`, says
 * which results were written.
 */
const exactly =
  <T>(exact: () => Verb<T>): Again<T> =>
  (error) =>
    error instanceof RefusedInBatch ? exact : undefined;

/** `f` of a value, or of a promise's value: a synchronous engine's answer stays synchronous. */
function maybeThen<T, U>(value: T | Promise<T>, f: (value: T) => U): U | Promise<U> {
  return isPromise(value) ? value.then(f) : f(value);
}
