// Chaos on Cloudflare: the queue's Durable Object is aborted again and again while it drains.
import { abortAllDurableObjects, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

interface Job {
  id: string;
  state: string;
  input: { ms: number };
  output: unknown;
  attempts: { startedAt: number; endedAt: number | null; outcome: string | null }[];
}

const JOBS = 200;
const ABORTS = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stats(): Promise<{
  completed: number;
  waiting: number;
  active: number;
  failed: number;
}> {
  const rows = (await (await SELF.fetch("https://queue.test/queues")).json()) as {
    queue: string;
    completed: number;
    waiting: number;
    active: number;
    failed: number;
  }[];
  const row = rows.find((r) => r.queue === "chaos");
  if (!row) throw new Error(`no queue "chaos" in GET /queues: ${JSON.stringify(rows)}`);
  return row;
}

describe("chaos: a Durable Object aborted repeatedly during a drain (workerd)", () => {
  it(`${JOBS} jobs, ${ABORTS} aborts: each completed exactly once, re-runs = lost leases, no attempt began before the last one's lease ended`, async () => {
    // Paused while it fills, so the drain starts with every job waiting.
    await SELF.fetch("https://queue.test/queues/chaos/pause", { method: "POST" });
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const response = await SELF.fetch("https://queue.test/jobs", {
        method: "POST",
        body: JSON.stringify({
          name: "test.slow",
          input: { ms: 100 },
          queue: "chaos",
          attempts: 20,
        }),
      });
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as Job).id);
    }
    await SELF.fetch("https://queue.test/queues/chaos/resume", { method: "POST" });
    let completedAtLastAbort = -1;
    for (let k = 0; k < ABORTS; k++) {
      await sleep(300 + Math.random() * 400);
      await abortAllDurableObjects();
      if (k === ABORTS - 1) completedAtLastAbort = (await stats()).completed;
    }
    // Every abort landed mid-drain.
    expect(completedAtLastAbort).toBeLessThan(JOBS);
    const deadline = Date.now() + 60_000;
    while ((await stats()).completed < JOBS && Date.now() < deadline) await sleep(100);
    expect(await stats()).toMatchObject({ completed: JOBS, waiting: 0, active: 0, failed: 0 });

    let reRuns = 0;
    let doubleRecorded = 0;
    for (const id of ids) {
      const job = (await (await SELF.fetch(`https://queue.test/jobs/${id}`)).json()) as Job;
      const outcomes = job.attempts.map((a) => a.outcome);
      if (outcomes.filter((o) => o === "completed").length !== 1) doubleRecorded++;
      expect(job.state).toBe("completed");
      expect(job.output).toEqual({ slept: 100 });
      expect(outcomes.at(-1)).toBe("completed");
      // Every earlier attempt lost its lease to an abort, and the next began only after it was
      // rescued, that is, after its lease ran out.
      for (const [i, attempt] of job.attempts.slice(0, -1).entries()) {
        expect(attempt.outcome).toBe("stalled");
        expect(job.attempts[i + 1]?.startedAt).toBeGreaterThanOrEqual(attempt.endedAt as number);
        reRuns++;
      }
    }
    expect(doubleRecorded).toBe(0);
    // The aborts cost work: some jobs ran again (an abort while nothing ran would cost none).
    expect(reRuns).toBeGreaterThan(0);
    console.log(
      `[chaos] Durable Object: ${JOBS} jobs, ${ABORTS} aborts, ${completedAtLastAbort} completed at the last abort, ${reRuns} re-runs (= stalled attempts), lost 0, double-recorded ${doubleRecorded}`,
    );
  }, 120_000);
});
