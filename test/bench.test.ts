import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const run = promisify(execFile);

// The harness, not the figures: tiny runs of scenarios A–D (E needs seconds of CPU per job) print
// a last line that is one JSON object keyed by scenario, holding a finite number for every figure.
test("npm run bench prints its medians as JSON on the last line", async () => {
  const { stdout } = await run(
    process.execPath,
    [
      "--conditions=shiftwork-source",
      "--import",
      "tsx",
      "bench/run.ts",
      ...["--n", "200", "--runs", "1", "--only", "A,B,C,D", "--concurrency", "4", "--wide", "8"],
      ...[
        "--rate",
        "50",
        "--duration",
        "0.4",
        "--idle",
        "0.2",
        "--waiting",
        "400",
        "--backlog",
        "300",
      ],
      ...["--no-peer", "--no-bun", "--json"],
    ],
    { timeout: 60_000 },
  );
  const report = JSON.parse(stdout.trim().split("\n").at(-1) as string);
  expect(Object.keys(report)).toEqual(["A", "B", "C", "D"]);
  expect(Object.keys(report.A)).toEqual(["one", "concurrent", "many"]);
  expect(Object.keys(report.B)).toEqual(["inline", "threads", "inlineWide", "threadsWide"]);
  expect(Object.keys(report.C)).toEqual(["sameProcess", "otherProcess"]);
  expect(Object.keys(report.D)).toEqual(["small", "large", "backlog"]);
  expect(report.D.large.waiting).toBe(400);
  const figures: number[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === "number") figures.push(value);
    else for (const inner of Object.values(value as object)) walk(inner);
  };
  walk(report);
  // 3 × (enqueue rate, CPU per job), 4 × (drain rate, CPU per job), 2 × (p50, p95, p99, idle
  // CPU), 2 × (waiting, claim, drain, RSS, seeding), the backlog and its 2 × (claim, wake-up).
  expect(figures).toHaveLength(6 + 8 + 8 + 10 + 5);
  for (const figure of figures) expect(Number.isFinite(figure) && figure >= 0).toBe(true);
  expect(report.A.many.perSec).toBeGreaterThan(0);
  expect(report.C.sameProcess.p99).toBeGreaterThanOrEqual(report.C.sameProcess.p50);
}, 60_000);

// B taken apart (docs/benchmarks.md): each part drains all N and prints its rate and CPU.
test("bench/measure.ts B-parts prints the storage's and the Manager's drain alone", async () => {
  for (const part of ["storage", "manager"]) {
    const { stdout } = await run(
      process.execPath,
      [
        ...["--conditions=shiftwork-source", "--import", "tsx", "bench/measure.ts"],
        ...["B-parts", part, JSON.stringify({ n: 100, concurrency: 4 })],
      ],
      { timeout: 30_000 },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1) as string);
    expect(Object.keys(result)).toEqual(["jobsPerSec", "cpuUsPerJob"]);
    for (const figure of Object.values(result)) expect(figure).toBeGreaterThan(0);
  }
}, 60_000);
