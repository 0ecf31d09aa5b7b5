import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bun = `${root}node_modules/.bin/bun`;

/**
 * The Bun tier: test/bun/*.spec.ts under real Bun (the `bun` npm package), through `bun test`.
 * The conformance suites import `vitest`, which `bun test` maps to its own runner.
 */
it("the Bun tier passes under real Bun", async () => {
  // Under CI a missing Bun is a failure, never a skip; bun is a devDependency, so it is there.
  expect(existsSync(bun), `bun not installed at ${bun}`).toBe(true);
  const result = await promisify(execFile)(
    bun,
    ["test", "--conditions=shiftwork-source", "test/bun"],
    {
      cwd: root,
      // A transpiler cache written by a plain `bun` run (not `bun test`) keeps real vitest imports.
      env: { ...process.env, BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" },
      timeout: 240_000,
      maxBuffer: 16 * 2 ** 20,
    },
  ).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
    throw new Error(
      `bun test failed (code ${error.code}):\n${error.stderr ?? ""}${error.stdout ?? ""}`.slice(
        -8000,
      ),
    );
  });
  const output = `${result.stdout}${result.stderr}`;
  const passed = Number(/(\d+) pass/.exec(output)?.[1] ?? 0);
  expect(output).toMatch(/\b0 fail/);
  for (const name of [
    "a worker over the memory budget is terminated",
    "a CPU-bound handler past its timeout is failed and its worker replaced",
    "a graceful stop lets the jobs in flight finish",
    "a worker that exits fails only its own job and is replaced",
  ]) {
    expect(output).toContain(`Bun host on Web Workers > ${name}`);
  }
  for (const name of [
    "8 Workers on 2 threads drain 200 jobs",
    "a thread that crashes fails exactly the jobs running in it",
    "a handler stuck past abortGrace",
    "a graceful stop lets every job sharing a thread finish",
  ]) {
    expect(output).toContain(`Bun Manager Workers sharing Web Workers > ${name}`);
  }
  expect(output).toContain(
    "bun worker scheduler, every context on one worker > contexts run independently",
  );
  expect(output).toContain("bun:sqlite change notices > the file watch tells a subscriber");
  expect(output).toContain("checkpoints on Bun > bun:sqlite and the libsql binding keep");
  // Three storage suites, the scheduler suite twice (a worker each, one shared), the host cases
  // and the change notices.
  expect(passed).toBeGreaterThanOrEqual(130);
}, 300_000);
