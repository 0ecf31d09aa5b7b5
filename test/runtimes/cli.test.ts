import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "shiftwork-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const jobs = "test/runtimes/fixtures/cli-jobs.ts";
const node = ["--conditions=shiftwork-source", "--import", "tsx", "runtimes/node/cli.ts"];

/** Runs `shiftwork ARGS` to its end. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...node, ...args],
      { cwd: root, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

function startHost(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [...node, "start", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout?.on("data", (chunk) => {
    text += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    text += chunk;
  });
  return { child, output: () => text, exited: new Promise((resolve) => child.on("exit", resolve)) };
}

async function until(check: () => boolean | Promise<boolean>, what: string) {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("the shiftwork CLI", () => {
  const db = `file:${join(dir, "cli.db")}`;

  it("enqueue, status, cancel and retry", async () => {
    const ok = await cli([
      "enqueue",
      "quick",
      '{"to":"a@example.com"}',
      "--jobs",
      jobs,
      "--db",
      db,
      "--priority",
      "3",
    ]);
    expect(ok.code).toBe(0);
    const job = JSON.parse(ok.stdout) as { id: string; state: string };
    expect(job.state).toBe("waiting");
    const status = await cli(["status", "--db", db]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^default\s+1\s+0\s+0\s+0\s+0\s+0\s+no$/m);
    const cancelled = await cli(["cancel", job.id, "--db", db]);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id: job.id, state: "cancelled" });
    const retried = await cli(["retry", job.id, "--db", db]);
    expect(JSON.parse(retried.stdout)).toMatchObject({ id: job.id, state: "waiting" });
  }, 60_000);

  it("bad input exits non-zero with a clear message and stores nothing", async () => {
    const before = (await cli(["status", "--db", db])).stdout;
    const cases: [string[], number, RegExp][] = [
      [["enqueue", "nope", "{}"], 2, /unknown job "nope"/],
      [["enqueue", "quick", "{not json"], 2, /JSON: the input does not parse/],
      [["enqueue", "quick", '{"to":"not-an-email"}'], 2, /input\.to: Invalid email/],
      [
        ["enqueue", "quick", '{"to":"a@example.com"}', "--delay", "soon"],
        2,
        /options\.delay: expected a duration/,
      ],
      [["enqueue", "quick"], 2, /takes a job NAME and its input as JSON/],
      [["enqueue", "quick", "{}", "--colour", "red"], 2, /Unknown option '--colour'/],
      [["cancel", "999999"], 1, /job "999999" not found/],
      [["start", "--workers", "quick=two"], 2, /--workers: expected name=N/],
      [["start", "--jobs", "no/such/file.ts"], 2, /--jobs: no such file/],
      [["frobnicate"], 2, /unknown command "frobnicate"/],
      [["start", "--port", "99999"], 2, /--port: expected 0\.\.65535/],
      [["start", "--host", "0.0.0.0"], 2, /not a loopback address: give --token/],
    ];
    for (const [args, code, message] of cases) {
      const needsJobs = (args[0] === "enqueue" || args[0] === "start") && !args.includes("--jobs");
      const result = await cli([...args, ...(needsJobs ? ["--jobs", jobs] : []), "--db", db]);
      expect({ args, code: result.code, stderr: result.stderr }).toMatchObject({
        code,
        stderr: expect.stringMatching(message),
      });
    }
    expect((await cli(["status", "--db", db])).stdout).toBe(before);
  }, 120_000);

  it("start runs jobs in worker threads and stops gracefully on SIGINT", async () => {
    const file = join(dir, "start.db");
    const host = startHost(["--jobs", jobs, "--db", `file:${file}`, "--workers", "quick=2"]);
    await until(() => host.output().includes("worker threads"), "the host to start");
    const { stdout } = await cli([
      "enqueue",
      "quick",
      '{"to":"b@example.com"}',
      "--jobs",
      jobs,
      "--db",
      `file:${file}`,
    ]);
    const { id } = JSON.parse(stdout) as { id: string };
    const storage = libsqlStorage({ url: `file:${file}` });
    await storage.migrate();
    await until(async () => (await storage.get(id))?.state === "completed", "the job to complete");
    expect((await storage.get(id))?.output).toEqual({ sent: "b@example.com" });
    host.child.kill("SIGINT");
    expect(await host.exited).toBe(0);
    expect(host.output()).toMatch(/stopped; 1 jobs finished/);
    await storage.close?.();
  }, 60_000);

  it("a second SIGINT forces the stop: the running job is released, not lost", async () => {
    const file = join(dir, "force.db");
    const host = startHost(["--jobs", jobs, "--db", `file:${file}`, "--workers", "slow=1"]);
    await until(() => host.output().includes("worker threads"), "the host to start");
    const { stdout } = await cli(["enqueue", "slow", "{}", "--jobs", jobs, "--db", `file:${file}`]);
    const { id } = JSON.parse(stdout) as { id: string };
    const storage = libsqlStorage({ url: `file:${file}` });
    await storage.migrate();
    await until(async () => (await storage.get(id))?.state === "active", "the job to start");
    host.child.kill("SIGINT");
    await until(() => host.output().includes("again to force"), "the graceful stop");
    host.child.kill("SIGINT");
    expect(await host.exited).toBe(0);
    expect(host.output()).toMatch(/forcing the stop/);
    const job = await storage.get(id);
    expect(job).toMatchObject({ state: "waiting", attempt: 0 });
    expect(job?.attempts.map((a) => a.outcome)).toEqual(["released"]);
    await storage.close?.();
  }, 60_000);
});
