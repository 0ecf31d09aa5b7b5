// `npm run bench`: scenarios A–E of docs/benchmarks.md, each measurement in a fresh process, run
// `--runs` times (default 3) and reported as the median, beside the reference peer plainjob.
// Prints tables; with `--json` the last line is one JSON object keyed by scenario. Asserts nothing.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bunBin, type Runtime, runChild } from "./_child.js";
import { medianOf, round } from "./_stats.js";

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "20000" },
    runs: { type: "string", default: "3" },
    only: { type: "string", default: "A,B,C,D,E" },
    concurrency: { type: "string", default: "16" },
    // B again with this many Workers: a claim and its results' write serve a batch this big.
    wide: { type: "string", default: "128" },
    callers: { type: "string", default: "64" },
    threads: { type: "string", default: "2" },
    rate: { type: "string", default: "200" },
    duration: { type: "string", default: "10" },
    idle: { type: "string", default: "2" },
    // Unset: the adapter's default (a file watch, with a 250 ms data_version poll as fallback).
    poll: { type: "string" },
    waiting: { type: "string", default: "1000000" },
    backlog: { type: "string", default: "100000" },
    "cpu-jobs": { type: "string", default: "8" },
    "no-peer": { type: "boolean", default: false },
    "no-bun": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (args.help) {
  console.log(`npm run bench -- [--n 20000] [--runs 3] [--only A,B,C,D,E] [--concurrency 16]
  [--wide 128] [--callers 64] [--threads 2] [--rate 200] [--duration 10] [--idle 2] [--poll ms] [--waiting 1000000] [--backlog 100000] [--cpu-jobs 8]
  [--no-peer] [--no-bun] [--json]`);
  process.exit(0);
}

const num = (name: keyof typeof args) => {
  const value = Number(args[name]);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name}: expected a positive number`);
  return value;
};
const n = num("n");
const runs = num("runs");
const only = new Set(String(args.only).toUpperCase().split(","));
const concurrency = num("concurrency");
const wide = num("wide");
const threads = num("threads");
const peerDir = fileURLToPath(new URL("./peers/", import.meta.url));
const root = fileURLToPath(new URL("..", import.meta.url));

/** Installs the peer's own dependencies (better-sqlite3 compiles: minutes) the first time. */
function ensurePeer(): boolean {
  if (args["no-peer"]) return false;
  if (existsSync(`${peerDir}node_modules/plainjob/package.json`)) return true;
  console.log(
    "installing the reference peer: npm ci --prefix bench/peers (once; compiles better-sqlite3)",
  );
  execFileSync("npm", ["ci", "--prefix", peerDir, "--no-audit", "--no-fund"], { stdio: "inherit" });
  return true;
}

const versionOf = (pkg: string, from = root) => {
  try {
    return JSON.parse(readFileSync(`${from}node_modules/${pkg}/package.json`, "utf8"))
      .version as string;
  } catch {
    return "-";
  }
};

const bunVersion = (() => {
  if (args["no-bun"]) return undefined;
  try {
    return execFileSync(bunBin, ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
})();
const peer = ensurePeer();

const cpu = cpus();
console.log(`shiftwork benchmarks, ${new Date().toISOString()}`);
console.log(
  `machine: ${cpu.length} × ${cpu[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GB, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
console.log(
  `node ${process.version}, bun ${bunVersion ?? "-"}, libsql ${versionOf("libsql")}, plainjob ${peer ? versionOf("plainjob", peerDir) : "-"} (better-sqlite3 ${peer ? versionOf("better-sqlite3", peerDir) : "-"})`,
);
console.log(
  `N=${n}, ${runs} runs each (median), concurrency ${concurrency} (B also ${wide}), ${threads} threads\n`,
);

/** Runs one measurement `runs` times and returns the medians of its fields. */
async function median(runtime: Runtime, scenario: string, variant: string, options: object) {
  return (await medians({ one: [runtime, scenario, variant, options] })).one as Figures;
}

type Figures = Record<string, number>;
type Measurement = [Runtime, string, string, object];

/**
 * The medians of measurements that are compared with each other (a ratio to the peer, D's large
 * against its small), taken in rounds: each round runs every one of them once. The host's speed
 * drifts within minutes, and a slow spell then touches each of them alike instead of all the runs
 * of one.
 */
async function medians(
  measurements: Record<string, Measurement>,
): Promise<Record<string, Figures>> {
  const keys = Object.keys(measurements);
  const results = new Map<string, Figures[]>(keys.map((key) => [key, []]));
  for (let i = 0; i < runs; i++) {
    for (const key of keys) {
      const [runtime, scenario, variant, options] = measurements[key] as Measurement;
      results.get(key)?.push(await runChild(runtime, scenario, variant, options));
    }
  }
  return Object.fromEntries(keys.map((key) => [key, medianOf(results.get(key) ?? [])]));
}

const report: Record<string, Record<string, Record<string, number>>> = {};
const table = (title: string, rows: Record<string, Record<string, number | string>>) => {
  console.log(title);
  console.table(rows);
};
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? "-" : `${round(a / b)}×`;

if (only.has("A")) {
  const o = { n, callers: num("callers") };
  const A: Record<string, Figures> = await medians({
    one: ["node", "A", "one", o],
    concurrent: ["node", "A", "concurrent", o],
    many: ["node", "A", "many", o],
    ...(peer
      ? {
          plainjobOne: ["peer", "A", "one", o] as Measurement,
          plainjobMany: ["peer", "A", "many", o] as Measurement,
        }
      : {}),
  });
  report.A = A;
  table(
    `A. enqueue, ${n} jobs, jobs/s (target: one 30,000, ${o.callers} callers 60,000, many 250,000)`,
    {
      "one at a time": {
        shiftwork: A.one?.perSec ?? 0,
        plainjob: A.plainjobOne?.perSec ?? "-",
        ratio: ratio(A.one?.perSec, A.plainjobOne?.perSec),
      },
      [`${o.callers} concurrent callers`]: {
        shiftwork: A.concurrent?.perSec ?? 0,
        plainjob: "-",
        ratio: "-",
      },
      enqueueMany: {
        shiftwork: A.many?.perSec ?? 0,
        plainjob: A.plainjobMany?.perSec ?? "-",
        ratio: ratio(A.many?.perSec, A.plainjobMany?.perSec),
      },
    },
  );
}

if (only.has("B")) {
  const o = { n, concurrency, threads };
  const oWide = { ...o, concurrency: wide };
  const B: Record<string, Figures> = await medians({
    inline: ["node", "B", "inline", o],
    threads: ["node", "B", "threads", o],
    inlineWide: ["node", "B", "inline", oWide],
    threadsWide: ["node", "B", "threads", oWide],
    ...(bunVersion
      ? {
          bunInline: ["bun", "B", "inline", o] as Measurement,
          bunWorkers: ["bun", "B", "threads", o] as Measurement,
        }
      : {}),
    ...(peer ? { plainjob: ["peer", "B", "inline", o] as Measurement } : {}),
  });
  report.B = B;
  const row = (k: string) => ({
    "jobs/s": B[k]?.jobsPerSec ?? "-",
    "CPU µs/job": B[k]?.cpuUsPerJob ?? "-",
    "× plainjob": ratio(B[k]?.jobsPerSec, B.plainjob?.jobsPerSec),
  });
  table(`B. drain ${n} no-op jobs (target: inline 38,000, 2 threads 20,000)`, {
    [`node, inline, ${concurrency} workers`]: row("inline"),
    [`node, ${concurrency} workers on ${threads} threads`]: row("threads"),
    [`node, inline, ${wide} workers`]: row("inlineWide"),
    [`node, ${wide} workers on ${threads} threads`]: row("threadsWide"),
    ...(bunVersion
      ? {
          [`bun, inline, ${concurrency} workers`]: row("bunInline"),
          [`bun, ${concurrency} workers on ${threads} Web Workers`]: row("bunWorkers"),
        }
      : {}),
    ...(peer ? { "plainjob (1 worker)": row("plainjob") } : {}),
  });
}

if (only.has("C")) {
  const o = {
    rate: num("rate"),
    duration: num("duration"),
    idle: num("idle"),
    ...(args.poll === undefined ? {} : { poll: num("poll") }),
  };
  const C = {
    sameProcess: await median("node", "C", "same", o),
    otherProcess: await median("node", "C", "other", o),
  };
  report.C = C;
  table(
    `C. enqueue → handler start, ms, ${o.rate} jobs/s for ${o.duration} s (target: same p50 0.5 / p99 3, other p50 3 / p99 10)`,
    C,
  );
}

if (only.has("D")) {
  const waiting = num("waiting");
  const small = Math.min(10_000, waiting);
  const claims = Math.max(1, Math.min(200, Math.floor(small / (4 * concurrency))));
  const o = { claims, concurrency, drain: Math.min(n, small - claims * concurrency) };
  const backlog = num("backlog");
  const { small: smallRuns, large: largeRuns } = await medians({
    small: ["node", "D", "small", { ...o, waiting: small }],
    large: ["node", "D", "large", { ...o, waiting }],
  });
  const D = {
    small: smallRuns as Figures,
    large: largeRuns as Figures,
    backlog: await median("node", "D-backlog", "backlog", { backlog, claims, concurrency }),
  };
  report.D = D;
  table(
    `D. scale: claim of ${concurrency} (median ms), drain of ${o.drain} jobs, peak RSS (target: claim at ${waiting} ≤ 1.5 × at ${small}, RSS < 200 MB)`,
    { small: D.small, large: D.large },
  );
  table(
    `D. claim of ${concurrency} and nextWakeAt (median ms) of a name group and a queue group, ${backlog} older ready jobs of another name in another, paused queue (target: as without them)`,
    { backlog: D.backlog },
  );
}

if (only.has("E")) {
  const E = { cpu: await median("node", "E", "cpu", { jobs: num("cpu-jobs"), threads }) };
  report.E = E;
  table(
    `E. ${args["cpu-jobs"]} CPU-bound jobs of ~200 ms, wall ms (target: threads ≤ 0.6 × inline)`,
    E,
  );
}

if (args.json) console.log(JSON.stringify(report));
