import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * Shows the conformance suite can fail: it runs, in a child vitest, against the correct memory
 * adapter and against deliberately broken variants (test/meta/mutants.ts), and checks exactly
 * which cases fail for each.
 */
const EXPECTED_FAILURES: Record<string, string[]> = {
  correct: [],
  ignoresLeaseTokens: [
    "fencing: a stale token cannot complete, fail, retry or extend",
    "results are written in one batch, each fenced on its own",
    "completions written together are fenced one by one",
    "recordAndClaim with a refused token among its completions: the others written, each job claimed once",
    "an enqueue hands its job off when it is the only job a claim could take: claimed as that claim would, in the same write",
  ],
  ignoresPriority: [
    "a name group claims its job from every queue in claim order; a queue group passes other queues and names by; a paused queue gives nothing",
    "an enqueue asked to hand its job off claims it only when a claim made then would take it first",
    "claims by priority, then run time, then insertion order",
    "one claim returns its batch in order",
    "recordAndClaim records first, then claims each request, in one call",
  ],
  doubleClaims: [
    "a name group claims its job from every queue in claim order; a queue group passes other queues and names by; a paused queue gives nothing",
    "claims filter by queue and name",
    "an enqueue asked to hand its job off claims it only when a claim made then would take it first",
    "claims stop at the limit",
    "exclusive claims under concurrent claimers",
    "an active job is not claimed again while its lease holds",
    "retry schedules the next attempt at its time",
    "release returns a job at once without using an attempt",
    "pause and resume a queue",
  ],
  handsOffOutOfTurn: [
    "an enqueue asked to hand its job off claims it only when a claim made then would take it first",
  ],
  dropsRetries: [
    "fencing: a stale token cannot complete, fail, retry or extend",
    "retry schedules the next attempt at its time",
    "a failed job keeps its attempt history",
    "an ended attempt keeps its fractional times and error when the next attempt starts",
    "bad input to each method gets a clear error and changes nothing",
  ],
};

interface JsonReport {
  testResults: {
    assertionResults: { ancestorTitles: string[]; title: string; status: string }[];
  }[];
}

describe("the storage conformance suite catches broken adapters", () => {
  const failed = new Map<string, string[]>();
  const passed = new Map<string, number>();

  beforeAll(async () => {
    const out = join(mkdtempSync(join(tmpdir(), "shiftwork-meta-")), "report.json");
    const root = new URL("../..", import.meta.url).pathname;
    await promisify(execFile)(
      process.execPath,
      [
        join(root, "node_modules/vitest/vitest.mjs"),
        "run",
        "--config",
        "test/meta/vitest.meta.config.ts",
        "--reporter=json",
        `--outputFile=${out}`,
      ],
      { cwd: root, env: { ...process.env, CI: "1" } },
    ).catch((error: { code?: number }) => {
      // The broken variants make the child run fail: that is the point.
      if (error.code !== 1) throw error;
    });
    const report = JSON.parse(readFileSync(out, "utf8")) as JsonReport;
    for (const file of report.testResults) {
      for (const test of file.assertionResults) {
        const suite = test.ancestorTitles[0] as string;
        if (test.status === "failed") failed.set(suite, [...(failed.get(suite) ?? []), test.title]);
        if (test.status === "passed") passed.set(suite, (passed.get(suite) ?? 0) + 1);
      }
    }
  }, 120_000);

  it("every variant run has its expected failures listed", () => {
    expect([...new Set([...passed.keys(), ...failed.keys()])].sort()).toEqual(
      Object.keys(EXPECTED_FAILURES).sort(),
    );
  });

  for (const [variant, expected] of Object.entries(EXPECTED_FAILURES)) {
    it(`${variant}: ${expected.length === 0 ? "passes every case" : "fails exactly the cases guarding its rule"}`, () => {
      expect(passed.get(variant) ?? 0).toBeGreaterThan(20);
      expect([...(failed.get(variant) ?? [])].sort()).toEqual([...expected].sort());
    });
  }
});
