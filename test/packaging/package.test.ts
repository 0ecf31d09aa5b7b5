import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import jsr from "../../jsr.json" with { type: "json" };
import pkg from "../../package.json" with { type: "json" };
import { installConsumer } from "./_consumer.js";
import { buildAndPack, type Packed } from "./_pack.js";
import { bin, root, run, runOk } from "./_run.js";

/**
 * The package as users get it: built once, packed with `npm pack`, installed from the tarball
 * into a fresh project, then checked (exports, JSR, publint, attw) and run on Node, Bun and in a
 * bundled Cloudflare Worker. Slow (a full tsup build with declarations, an install, two `tsc`
 * runs): minutes, not seconds.
 */

type Target = { "shiftwork-source": string; types: string; import: string };
const subpaths = Object.entries(pkg.exports as Record<string, string | Target>).filter(
  (entry): entry is [string, Target] => typeof entry[1] !== "string",
);

let packed: Packed;
let consumer: string;
let installed: string;

beforeAll(async () => {
  // Every tool is checked before the slow part, so a missing one fails at once.
  for (const name of ["bun", "wrangler", "publint", "attw", "deno"]) bin(name);
  packed = await buildAndPack();
  consumer = join(packed.dir, "consumer");
  await installConsumer(consumer, packed.tarball);
  installed = join(consumer, "node_modules", "shiftwork");
}, 900_000);

afterAll(async () => {
  if (packed) await rm(packed.dir, { recursive: true, force: true });
});

/** Every file under `dir`, relative to the package root, with `/` separators. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(join(installed, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(installed, join(entry.parentPath, entry.name)).replaceAll("\\", "/"));
}

describe("exports, built files and jsr.json agree", () => {
  it("every subpath resolves to a packed JavaScript file with its declarations", () => {
    expect(subpaths.length).toBeGreaterThanOrEqual(16);
    for (const [subpath, target] of subpaths) {
      expect(target.types, `${subpath} has no types`).toMatch(/^\.\/dist\/.+\.d\.ts$/);
      expect(target.import, subpath).toBe(target.types?.replace(/\.d\.ts$/, ".js"));
      // Types first: TypeScript takes the first condition that matches.
      expect(Object.keys(target), subpath).toEqual(["shiftwork-source", "types", "import"]);
      expect(packed.files, subpath).toContain(target.import.slice(2));
      expect(packed.files, subpath).toContain(target.types.slice(2));
    }
    expect(packed.files).toContain(pkg.bin.shiftwork.slice(2));
  });

  it("nothing built is an entry without a subpath: the rest are hashed shared chunks", async () => {
    const exported = new Set(
      subpaths.flatMap(([, target]) => [target.import.slice(2), target.types.slice(2)]),
    );
    const built = await filesUnder("dist");
    const unexported = built.filter((file) => !exported.has(file));
    // Shared chunks sit at the root of dist/ and end in a content hash (chunk-ABCD1234.js,
    // manager-AbCd1234.d.ts, _enqueue-AbCd1234.d.ts from an internal module); anything else
    // would be an entry nobody can import.
    for (const file of unexported)
      expect(file).toMatch(/^dist\/_?[a-z][a-z0-9-]*-[A-Za-z0-9_-]{8}\.(js|d\.ts)$/);
    // Error classes live in one shared chunk, so `instanceof` holds across subpaths.
    const withErrors: string[] = [];
    for (const file of built.filter((name) => name.endsWith(".js"))) {
      const text = await readFile(join(installed, file), "utf8");
      if (/\bShiftworkError = class extends Error\b/.test(text)) withErrors.push(file);
    }
    expect(withErrors).toHaveLength(1);
  });

  it("built code imports only its dependencies, peers and host modules", async () => {
    const allowed = new Set([
      ...Object.keys(pkg.dependencies),
      ...Object.keys(pkg.peerDependencies),
    ]);
    const seen = new Set<string>();
    for (const file of (await filesUnder("dist")).filter((name) => name.endsWith(".js"))) {
      const text = await readFile(join(installed, file), "utf8");
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*"([^".][^"]*)"/g)) {
        seen.add(specifier as string);
      }
    }
    for (const specifier of seen) {
      if (/^(node|bun|cloudflare):/.test(specifier)) continue;
      const name = specifier.startsWith("@")
        ? specifier.split("/").slice(0, 2).join("/")
        : (specifier.split("/")[0] as string);
      expect(allowed, `dist imports ${specifier}`).toContain(name);
    }
    // The optional peers stay imports rather than being bundled in.
    for (const peer of ["hono", "vitest", "@libsql/client/web", "@hono/node-server", "tsx/esm/api"])
      expect(seen).toContain(peer);
  });

  it("jsr.json has the version and the subpaths of package.json, on the TypeScript sources", () => {
    expect(jsr.version).toBe(pkg.version);
    expect(jsr.exports).toEqual(
      Object.fromEntries(
        subpaths.map(([subpath, target]) => [subpath, target["shiftwork-source"]]),
      ),
    );
  });

  it("deno publish --dry-run accepts jsr.json (type check, slow types, file list)", async () => {
    const { stdout, stderr } = await runOk(
      bin("deno"),
      ["publish", "--dry-run", "--allow-dirty", "--config", "jsr.json"],
      {
        cwd: root,
        env: { NO_COLOR: "1" },
        timeout: 300_000,
      },
    );
    const output = `${stdout}${stderr}`;
    expect(output).toContain("Success Dry run complete");
    for (const target of Object.values(jsr.exports)) {
      expect(output).toContain(`Check ${target.slice(2)}`);
    }
    // The published files: sources and the conformance suite, not the repository's own tests.
    expect(output).toContain("test/conformance/storage.ts");
    expect(output).not.toMatch(/\.test\.ts\b/);
  }, 300_000);
});

describe("linters on the packed tarball", () => {
  it("publint (strict) reports nothing", async () => {
    const { stdout } = await runOk(bin("publint"), ["run", "--strict", packed.tarball], {
      cwd: packed.dir,
    });
    expect(stdout).toContain("All good!");
  }, 180_000);

  it("attw reports no problem for ESM consumers (node16 from ESM, bundler)", async () => {
    const result = await runOk(
      bin("attw"),
      [packed.tarball, "--profile", "esm-only", "--format", "json"],
      { cwd: packed.dir },
    );
    const report = JSON.parse(result.stdout) as {
      analysis: { entrypoints: Record<string, unknown>; problems: { resolutionKind?: string }[] };
    };
    // An ESM-only package: only CommonJS `require` and the pre-exports node10 resolution may fail.
    const relevant = report.analysis.problems.filter(
      (problem) => problem.resolutionKind !== "node10" && problem.resolutionKind !== "node16-cjs",
    );
    expect(relevant).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(
      Object.keys(pkg.exports).sort(),
    );
  }, 180_000);
});

describe("a consumer project installed from the tarball", () => {
  /** What consumer/main.ts prints after running one job. */
  const ran = (host: string, bun: boolean) => ({
    host,
    state: "completed",
    output: { doubled: 42, bun, main: false },
    eventJob: true,
    invalidInput: "ValidationError",
    badOptions: "ShiftworkError",
    // The checkpoint thread starts from the built package on Node; Bun keeps SQLite's own.
    checkpoints: bun ? "inline" : "background",
  });

  it("runs a job on Node: libSQL file storage, worker threads, a TypeScript job module", async () => {
    const { stdout } = await runOk(
      process.execPath,
      ["--import", "tsx", "main.ts", "node-threads", "node.db"],
      { cwd: consumer, timeout: 120_000 },
    );
    expect(JSON.parse(stdout.trim())).toEqual(ran("node-threads", false));
  }, 120_000);

  it("runs the same job under Bun, on Bun Workers and on node:worker_threads", async () => {
    const bun = bin("bun");
    const workers = await runOk(bun, ["main.ts", "bun-workers", "bun.db"], {
      cwd: consumer,
      timeout: 120_000,
    });
    expect(JSON.parse(workers.stdout.trim())).toEqual(ran("bun-workers", true));
    const threads = await runOk(bun, ["main.ts", "node-threads", "bun-threads.db"], {
      cwd: consumer,
      timeout: 120_000,
    });
    expect(JSON.parse(threads.stdout.trim())).toEqual(ran("node-threads", true));
  }, 240_000);

  it("bundles a Worker importing shiftwork/runtimes/cloudflare (wrangler deploy --dry-run)", async () => {
    const { stdout, stderr } = await runOk(
      bin("wrangler"),
      ["deploy", "--dry-run", "--outdir", "out"],
      {
        cwd: consumer,
        env: { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
        timeout: 180_000,
      },
    );
    expect(`${stdout}${stderr}`).toMatch(/env\.JOBS \(JobQueue\)\s+Durable Object/);
    const bundle = await readFile(join(consumer, "out", "worker.js"), "utf8");
    // Bundled from the installed build, not from sources.
    expect(bundle).toContain("node_modules/shiftwork/dist/runtimes/cloudflare.js");
    expect(bundle).toContain("class QueueObject extends DurableObject");
  }, 180_000);

  it("the shiftwork bin runs the built CLI with the example module it ships", async () => {
    // `enqueue` validates against the example job module (dist/examples/jobs.js, found through
    // the package's exports), then `status` reads the same libSQL file.
    const cli = join(consumer, "node_modules", ".bin", "shiftwork");
    const db = ["--db", "file:./cli.db"];
    const input = JSON.stringify({ to: "ada@example.com", subject: "Hello" });
    const enqueued = await runOk(cli, ["enqueue", "email.send", input, ...db], { cwd: consumer });
    expect(JSON.parse(enqueued.stdout)).toMatchObject({ name: "email.send", state: "waiting" });
    const refused = await run(
      cli,
      ["enqueue", "email.send", '{"to":"nope","subject":"x"}', ...db],
      {
        cwd: consumer,
      },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("input.to: Invalid email");
    const status = await runOk(cli, ["status", ...db], { cwd: consumer });
    expect(status.stdout).toMatch(/^default\s+1\s+0\s+0\s+0\s+0\s+0\s+no$/m);
  }, 120_000);

  it("type-checks against the published declarations (tsc --noEmit, skipLibCheck off)", async () => {
    const tsc = join(consumer, "node_modules", ".bin", "tsc");
    // Node and Bun code with Node's typings; the Worker with the Workers typings.
    await runOk(tsc, ["-p", "tsconfig.json"], { cwd: consumer, timeout: 300_000 });
    await runOk(tsc, ["-p", "tsconfig.worker.json"], { cwd: consumer, timeout: 300_000 });
  }, 600_000);

  it("the type check bites: a wrong input type is an error", async () => {
    // Guards the check above against passing vacuously (types resolving to `any`).
    await writeFile(
      join(consumer, "wrong.ts"),
      'import { libsqlStorage } from "shiftwork/adapters/libsql";\n' +
        'import * as jobs from "./jobs.ts";\n' +
        'import { createManager } from "shiftwork";\n' +
        "declare const manager: ReturnType<typeof createManager>;\n" +
        'await manager.enqueue(jobs.double, { n: "21" });\n' +
        "libsqlStorage({ url: 42 });\n",
    );
    const tsc = join(consumer, "node_modules", ".bin", "tsc");
    const result = await run(
      tsc,
      [
        "--noEmit",
        "--strict",
        "--module",
        "NodeNext",
        "--moduleResolution",
        "NodeNext",
        "--target",
        "ES2022",
        "--allowImportingTsExtensions",
        "--types",
        "node",
        "wrong.ts",
      ],
      { cwd: consumer, timeout: 300_000 },
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/wrong\.ts\(5,\d+\): error TS2769/);
    expect(result.stdout).toContain("Type 'string' is not assignable to type 'number'.");
    expect(result.stdout).toMatch(/wrong\.ts\(6,\d+\): error TS2322/);
  }, 300_000);
});
