import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { newJob } from "shiftwork/testing";
import { afterAll, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "shiftwork-example-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the main job the way `npm start -- --once` does, on the given database. */
const start = (db: string) =>
  promisify(execFile)(
    process.execPath,
    ["--conditions=shiftwork-source", "--import", "tsx", "examples/main.ts", "--once", "--db", db],
    { cwd: root, timeout: 60_000 },
  );

it("npm run demo runs the example jobs on a libSQL file and exits 0 under --once", async () => {
  const { stdout } = await start(`file:${join(dir, "fresh.db")}`);
  expect(stdout).toMatch(/stopping\s+every job finished/);
  expect(stdout).toMatch(/^default\s+0\s+0\s+0\s+5\s+1\s+1$/m);
  expect(stdout).toMatch(/^images\s+0\s+0\s+0\s+3\s+0\s+0$/m);
}, 60_000);

it("a restart resumes: a waiting job stays and a dead run's active job is rescued", async () => {
  const file = join(dir, "resume.db");
  const storage = libsqlStorage({ url: `file:${file}` });
  await storage.migrate();
  const now = Date.now();
  const input = { to: "x@example.com", subject: "left over" };
  await storage.enqueue(
    [newJob({ name: "email.send", input }), newJob({ name: "email.send", input })],
    now,
  );
  // A run that died holding one of them: claimed, never finished, its lease already over.
  const [held] = await storage.claim({ limit: 1, leaseMs: 1, now });
  await storage.close?.();

  const { stdout } = await start(`file:${file}`);
  expect(stdout).toMatch(/^default\s+0\s+0\s+0\s+7\s+1\s+1$/m);
  const after = libsqlStorage({ url: `file:${file}` });
  await after.migrate();
  const job = await after.get(held?.id as string);
  expect(job?.attempts.map((a) => a.outcome)).toEqual(["stalled", "completed"]);
  await after.close?.();
}, 60_000);

it("npm start runs the Node host (worker threads, libSQL file) until SIGINT", async () => {
  const { spawn } = await import("node:child_process");
  const child = spawn(
    "npm",
    ["start", "--", "--db", `file:${join(dir, "npm-start.db")}`, "--port", "0"],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so the test can press Ctrl+C the way a terminal does.
      detached: true,
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<string>((resolve) =>
    child.on("close", (code, signal) => resolve(signal ?? String(code))),
  );
  for (let i = 0; i < 400 && !output.includes("listening on"); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(output).toMatch(
    /shiftwork: 4 worker threads \(Node worker_threads\) for .*examples\/jobs\.ts on file:/,
  );
  // The API answers on the port the host printed.
  const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  expect((await fetch(`${base}/health`)).status).toBe(200);
  process.kill(-(child.pid as number), "SIGINT");
  // npm itself ends by the signal; the host inside it stops gracefully and says so.
  expect(["0", "SIGINT"]).toContain(await exited);
  expect(output).toMatch(/shiftwork: stopped/);
}, 60_000);
