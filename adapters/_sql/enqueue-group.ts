import {
  type EnqueueClaim,
  type EnqueueResult,
  isPromise,
  type MaybePromise,
  type NewJob,
} from "../../src/ports.js";

/**
 * Jobs stored with one clock: the jobs of consecutive calls that passed the same `now`, or one
 * call's job with the hand-off it asked for.
 */
export interface EnqueueRun {
  jobs: NewJob[];
  now: number;
  claim?: EnqueueClaim;
}

/** Writes runs in one transaction; per run, its results. Synchronous engines answer at once. */
type Write = (runs: EnqueueRun[]) => EnqueueResult[][] | Promise<EnqueueResult[][]>;

interface Pending {
  jobs: readonly NewJob[];
  now: number;
  claim: EnqueueClaim | undefined;
  resolve: (results: EnqueueResult[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for enqueues: the calls made in one turn of the microtask queue (64 concurrent
 * callers, say) are written in one transaction, and each call resolves once that transaction has
 * committed, so an enqueue that returned is still on disk. (A hand-off with nothing to wait for is
 * written at once instead, and a synchronous engine then answers it synchronously.) Calls keep
 * their order (FIFO holds).
 * Each job is stored with its own call's clock: calls with different `now`s go in as separate runs
 * of the same transaction. When a shared transaction fails, each call is tried alone, so one
 * caller's failure stays its own.
 */
export function enqueueGroup(
  write: Write,
): (jobs: readonly NewJob[], now: number, claim?: EnqueueClaim) => MaybePromise<EnqueueResult[]> {
  let pending: Pending[] = [];
  /** Flushes not finished: an asynchronous engine's write in flight. */
  let flushing = 0;

  // A synchronous engine's answer is used at once, with no await: every call of a batch then
  // resolves in the same microtask turn, so concurrent callers come back together and their next
  // enqueues share the next transaction. Awaiting between writes split them into staggered
  // cohorts (64 callers fell apart into transactions of 1 to 15 jobs within a few flushes).
  const settle = (calls: readonly Pending[], out: EnqueueResult[][]) => {
    // Runs hold the calls' jobs in call order, so the flat results split back call by call.
    const results = out.flat();
    let at = 0;
    for (const { jobs, resolve } of calls) {
      resolve(results.slice(at, at + jobs.length));
      at += jobs.length;
    }
  };

  const attempt = (calls: Pending[]): Promise<void> | undefined => {
    const out = write(runsOf(calls));
    if (!isPromise(out)) {
      settle(calls, out);
      return undefined;
    }
    return out.then((results) => settle(calls, results));
  };

  const alone = (call: Pending): Promise<void> | undefined => {
    try {
      return attempt([call])?.catch(call.reject);
    } catch (error) {
      call.reject(error);
      return undefined;
    }
  };

  const flush = async () => {
    const batch = pending;
    pending = [];
    flushing++;
    try {
      if (batch.length === 1) return await alone(batch[0] as Pending);
      try {
        const written = attempt(batch);
        if (written) await written;
      } catch {
        for (const call of batch) await alone(call);
      }
    } finally {
      flushing--;
    }
  };

  /**
   * Writes one call's run now, outside the batching, and answers as the engine does: a synchronous
   * engine's results (or its error) at once, so the Manager can start the handed-off job with no
   * promise turn between the commit and the handler.
   */
  const direct = (run: EnqueueRun): MaybePromise<EnqueueResult[]> => {
    const out = write([run]);
    return isPromise(out) ? out.then(firstOf) : firstOf(out);
  };

  return (jobs, now, claim) => {
    // A hand-off with no call before it to wait for is written at once: the turn that gathers a
    // batch would only delay the one commit between an enqueue and its handler's start.
    if (claim && pending.length === 0 && flushing === 0)
      return direct({ jobs: [...jobs], now, claim });
    return new Promise((resolve, reject) => {
      pending.push({ jobs, now, claim, resolve, reject });
      // Callers resumed in the same turn reach here before this microtask runs.
      if (pending.length === 1) queueMicrotask(() => void flush());
    });
  };
}

const firstOf = (out: EnqueueResult[][]): EnqueueResult[] => out[0] ?? [];

/**
 * Consecutive calls with the same `now` make one run (one statement for all their jobs). A call
 * that asks for a hand-off is a run of its own, which no later call joins.
 */
function runsOf(calls: readonly Pending[]): EnqueueRun[] {
  const runs: EnqueueRun[] = [];
  for (const call of calls) {
    const last = runs[runs.length - 1];
    if (last && !last.claim && !call.claim && last.now === call.now) last.jobs.push(...call.jobs);
    else runs.push({ jobs: [...call.jobs], now: call.now, claim: call.claim });
  }
  return runs;
}
