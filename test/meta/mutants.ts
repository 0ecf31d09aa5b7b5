import type { ClaimedJob, Storage } from "shiftwork";
import { correctRules, createMemoryStorage } from "../../adapters/_memory.js";

/**
 * Deliberately broken memory adapters. The meta-test runs the conformance suite against each and
 * asserts that the cases guarding the broken rule fail.
 */
export const mutants: Record<string, () => Storage> = {
  /** Accepts any token: a stale worker can overwrite a re-claimed job. */
  ignoresLeaseTokens: () =>
    createMemoryStorage({ ...correctRules, holdsLease: (job) => job.state === "active" }),

  /** Claims by insertion order only. */
  ignoresPriority: () =>
    createMemoryStorage({ ...correctRules, compareReady: (a, b) => a.seq - b.seq }),

  /** Hands a new job off whenever a claim now could take some job, ahead of older ready jobs. */
  handsOffOutOfTurn: () =>
    createMemoryStorage({ ...correctRules, mayHandOff: (_, first) => first !== undefined }),

  /** Hands every job still active out again to the next claimer. */
  doubleClaims: () => {
    const inner = createMemoryStorage();
    const handedOut: ClaimedJob[] = [];
    return {
      ...inner,
      async claim(request) {
        const fresh = await inner.claim(request);
        const again = handedOut.splice(0, Math.max(0, request.limit - fresh.length));
        handedOut.push(...fresh);
        return [...fresh, ...again];
      },
    };
  },

  /** Says it wrote a retry, and drops it: the job stays active until its lease runs out. */
  dropsRetries: () => {
    const inner = createMemoryStorage();
    return {
      ...inner,
      async record(results, now) {
        const kept = results.filter((r) => r.kind !== "retry");
        const written = await inner.record(kept, now);
        let i = 0;
        return results.map((r) => (r.kind === "retry" ? true : (written[i++] as boolean)));
      },
    };
  },
};
