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

it("npm start runs the example jobs on a libSQL file and exits 0 under --once", async () => {
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
