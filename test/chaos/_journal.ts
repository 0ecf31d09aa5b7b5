/**
 * Reads the kill loop's journals (see kill-host.ts) into handler runs, one per claimed attempt.
 * @module
 */

/** One claimed attempt of a job, as its process journaled it. */
export interface Run {
  id: string;
  attempt: number;
  pid: number;
  /** When the claim was made, and the latest lease expiry the process could have set. */
  claimedAt: number;
  leaseUntil: number;
  /** Handler start and end; missing when the process died first. */
  start?: number;
  end?: number;
}

/** Parses journal texts: runs keyed `id#attempt`, `stale` events and error events. */
export function readJournals(texts: string[]) {
  const runs = new Map<string, Run>();
  const stale: string[] = [];
  const errors: string[] = [];
  const run = (id: string, attempt: string) => runs.get(`${id}#${attempt}`);
  for (const text of texts) {
    for (const line of text.split("\n")) {
      const [kind, a = "", b = "", c = "", d = "", e = ""] = line.split(" ");
      if (kind === "C") {
        // C id attempt claimedAt leaseUntil pid
        runs.set(`${a}#${b}`, {
          id: a,
          attempt: Number(b),
          pid: Number(e),
          claimedAt: Number(c),
          leaseUntil: Number(d),
        });
      } else if (kind === "X") {
        // X id attempt upperBound pid
        const r = run(a, b);
        if (r) r.leaseUntil = Math.max(r.leaseUntil, Number(c));
      } else if (kind === "S" || kind === "E") {
        // S|E id attempt pid time
        const r = run(a, b);
        if (!r) throw new Error(`journal: ${kind} line without a claim: ${line}`);
        if (kind === "S") r.start = Number(d);
        else r.end = Number(d);
      } else if (kind === "L") stale.push(line);
      else if (kind === "F") errors.push(line);
    }
  }
  return { runs, stale, errors };
}
