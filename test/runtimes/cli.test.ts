import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { afterAll, describe, expect, it } from "vitest";
import { listeningAt, startHost, until } from "../_cli-host.js";

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

describe("the shiftwork CLI", () => {
  const db = `file:${join(dir, "cli.db")}`;

  it("enqueue, status, get, cancel and retry", async () => {
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
    const got = await cli(["get", job.id, "--db", db]);
    expect(got.code).toBe(0);
    const shown = JSON.parse(got.stdout);
    expect(shown).toMatchObject({
      id: job.id,
      name: "quick",
      state: "waiting",
      priority: 3,
      input: { to: "a@example.com" },
      cancelReason: null,
    });
    expect(shown).not.toHaveProperty("leaseToken");
    // A stored pause, as the HTTP API's: status says so, resume undoes it.
    const paused = await cli(["pause", "default", "--db", db]);
    expect([paused.code, JSON.parse(paused.stdout)]).toEqual([
      0,
      { queue: "default", paused: true },
    ]);
    expect((await cli(["status", "--db", db])).stdout).toMatch(/^default\s+1(\s+0){5}\s+yes$/m);
    const resumed = await cli(["resume", "default", "--db", db]);
    expect(JSON.parse(resumed.stdout)).toEqual({ queue: "default", paused: false });
    expect((await cli(["status", "--db", db])).stdout).toMatch(/^default\s+1(\s+0){5}\s+no$/m);
  }, 60_000);

  it("list prints a page of jobs newest first, one JSON line each, filtered, and says how to get the next", async () => {
    const listDb = `file:${join(dir, "list.db")}`;
    const ids: string[] = [];
    for (const [name, input] of [
      ["quick", '{"to":"a@example.com"}'],
      ["slow", "{}"],
      ["quick", '{"to":"b@example.com"}'],
    ] as const) {
      const made = await cli(["enqueue", name, input, "--jobs", jobs, "--db", listDb]);
      ids.push((JSON.parse(made.stdout) as { id: string }).id);
    }
    const lines = (stdout: string) =>
      stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { id: string; name: string; input: unknown });
    const all = await cli(["list", "--db", listDb]);
    expect(all.code).toBe(0);
    expect(lines(all.stdout).map((j) => j.id)).toEqual([...ids].reverse());
    expect(all.stderr).toBe("");
    expect(lines(all.stdout)[0]).toMatchObject({ name: "quick", input: { to: "b@example.com" } });
    expect(lines(all.stdout)[0]).not.toHaveProperty("leaseToken");
    const quick = await cli(["list", "--name", "quick", "--state", "waiting", "--db", listDb]);
    expect(lines(quick.stdout).map((j) => j.id)).toEqual([ids[2], ids[0]]);
    const first = await cli(["list", "--limit", "2", "--db", listDb]);
    expect(lines(first.stdout).map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const cursor = /add --cursor (\d+)/.exec(first.stderr)?.[1];
    expect(cursor).toBeDefined();
    const next = await cli(["list", "--limit", "2", "--cursor", String(cursor), "--db", listDb]);
    expect(lines(next.stdout).map((j) => j.id)).toEqual([ids[0]]);
    expect(next.stderr).toBe("");
    const none = await cli(["list", "--queue", "elsewhere", "--db", listDb]);
    expect({ code: none.code, stdout: none.stdout }).toEqual({ code: 0, stdout: "" });
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
      [["get", "999999"], 1, /job "999999" not found/],
      [["get"], 2, /get takes one job ID/],
      [["pause"], 2, /pause takes one QUEUE/],
      [["resume", "a b"], 2, /QUEUE: use letters, digits/],
      [["constructor"], 2, /unknown command "constructor"/],
      [["enqueue", "quick", "{}", "--priority", "0x10"], 2, /--priority: expected an integer/],
      [["start", "--workers", "quick=two"], 2, /--workers: expected name=N/],
      [["start", "--jobs", "no/such/file.ts"], 2, /--jobs: no such file/],
      [["frobnicate"], 2, /unknown command "frobnicate"/],
      [["start", "--port", "99999"], 2, /--port: expected 0\.\.65535/],
      [["start", "--host", "0.0.0.0"], 2, /not a loopback address: give --token/],
      [
        ["enqueue", "quick", "{}", "--priority", "abc"],
        2,
        /--priority: expected an integer, got "abc"/,
      ],
      [["start", "oops"], 2, /start takes no arguments \(got "oops"\)/],
      [["status", "extra"], 2, /status takes no arguments/],
      [["status", "--key", "k"], 2, /status does not take --key/],
      [["retry", "1", "--jobs", "x.ts"], 2, /retry does not take --jobs/],
      [["enqueue", "quick", "{}", "--port", "5"], 2, /enqueue does not take --port/],
      [
        ["list", "--state", "stuck"],
        2,
        /--state: Invalid type: Expected .*"waiting".* but received "stuck"/,
      ],
      [["list", "--limit", "0"], 2, /--limit: Invalid value: Expected >=1/],
      [["list", "--limit", "ten"], 2, /--limit: expected an integer from 1 to 1000, got "ten"/],
      [
        ["list", "--cursor", "abc"],
        2,
        /--cursor: expected a cursor: the nextCursor of the previous page/,
      ],
      [["list", "extra"], 2, /list takes no arguments/],
      [["list", "--key", "k"], 2, /list does not take --key/],
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
    // A --db no storage takes, and job modules that do not serve: usage errors (2), as the README says.
    const broken = join(dir, "broken-jobs.ts");
    writeFileSync(broken, "export const = ;\n");
    const own: [string[], RegExp][] = [
      [["status", "--db", "bogus"], /--db: expected file:PATH, :memory: or a libsql:/],
      [["status", "--db", "file:"], /--db: file: needs a path/],
      [
        ["list", "--db", `${db}?mode=ro`],
        /--db: a local file takes no query parameters \(got "mode=ro"\)/,
      ],
      [
        ["enqueue", "quick", "{}", "--jobs", "src/duration.ts", "--db", db],
        /exports no defineJob\(\) definitions/,
      ],
      [["start", "--jobs", broken, "--db", db], /--jobs: .*broken-jobs\.ts does not load/],
    ];
    for (const [args, message] of own) {
      const result = await cli(args);
      expect({ args, code: result.code, stderr: result.stderr }).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(message),
      });
    }
    expect((await cli(["status", "--db", db])).stdout).toBe(before);
  }, 120_000);

  for (const runtime of ["node", "bun"] as const) {
    it(`start (${runtime}) in the background: enqueue, see completion through status, SIGTERM leaves nothing active`, async () => {
      const file = join(dir, `start-${runtime}.db`);
      const host = startHost(
        ["--jobs", jobs, "--db", `file:${file}`, "--workers", "quick=2"],
        runtime,
      );
      await until(() => host.output().includes("listening on"), "the host to start");
      expect(host.output()).toContain(
        runtime === "bun" ? "(Bun workers)" : "(Node worker_threads)",
      );
      // --port 0 binds any free port; the host prints the one it bound, and the API answers there.
      const base = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(host.output());
      expect(Number(base?.[2])).toBeGreaterThan(0);
      const viaHttp = await fetch(`${base?.[1]}/jobs`, {
        method: "POST",
        body: JSON.stringify({ name: "quick", input: { to: "h@example.com" } }),
      });
      expect(viaHttp.status).toBe(201);
      for (const to of ["b@example.com", "c@example.com"]) {
        const enqueued = await cli([
          "enqueue",
          "quick",
          JSON.stringify({ to }),
          "--jobs",
          jobs,
          "--db",
          `file:${file}`,
        ]);
        expect(enqueued.code).toBe(0);
      }
      const row = /^default\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m;
      await until(
        async () => row.exec((await cli(["status", "--db", `file:${file}`])).stdout)?.[4] === "3",
        "status to show 3 completed",
      );
      host.child.kill("SIGTERM");
      expect(await host.exited).toBe(0);
      expect(host.output()).toMatch(/stopped; 3 jobs finished/);
      const [, waiting, , active, completed] =
        row.exec((await cli(["status", "--db", `file:${file}`])).stdout) ?? [];
      expect({ waiting, active, completed }).toEqual({ waiting: "0", active: "0", completed: "3" });
    }, 60_000);
  }

  for (const runtime of ["node", "bun"] as const) {
    it(`start (${runtime}) keeps a quiet /events stream open, and stops on SIGTERM while it is open`, async () => {
      const host = startHost(
        ["--jobs", jobs, "--db", `file:${join(dir, `sse-${runtime}.db`)}`],
        runtime,
      );
      const base = await listeningAt(host);
      const stream = await fetch(`${base}/events`);
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      let received = "";
      let ended = false;
      const reading = (async () => {
        for (;;) {
          const { done, value } = await reader
            .read()
            .catch(() => ({ done: true, value: undefined }));
          if (done) break;
          received += new TextDecoder().decode(value);
        }
        ended = true;
      })();
      // Past Bun.serve's default idle timeout (10 s), up to the first keep-alive comment (15 s).
      await until(() => received.includes(": keepalive"), "a keep-alive comment", 25_000);
      expect(ended).toBe(false);
      host.child.kill("SIGTERM");
      // It used to wait, on Node, for as long as the stream's client stayed.
      expect(await host.exited).toBe(0);
      await reading;
      expect(received).toMatch(/^event: ready/);
    }, 60_000);

    it(`start (${runtime}) on a port in use exits 1 at once, saying so, before it has claimed or run a job`, async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const { port } = blocker.address() as AddressInfo;
      const file = join(dir, `port-taken-${runtime}.db`);
      const made = await cli([
        "enqueue",
        "quick",
        '{"to":"p@example.com"}',
        "--jobs",
        jobs,
        "--db",
        `file:${file}`,
      ]);
      expect(made.code).toBe(0);
      try {
        const host = startHost(
          ["--jobs", jobs, "--db", `file:${file}`, "--workers", "quick=1", "--port", String(port)],
          runtime,
        );
        const code = await Promise.race([
          host.exited,
          new Promise((resolve) => setTimeout(() => resolve("still running"), 20_000)),
        ]);
        if (code === "still running") host.child.kill("SIGKILL");
        expect({ code, output: host.output() }).toMatchObject({
          code: 1,
          output: expect.stringMatching(
            // One line: no "worker threads" line first, as if the host had started.
            new RegExp(`^shiftwork: cannot listen on 127\\.0\\.0\\.1:${port}: [^\n]*\n$`),
          ),
        });
      } finally {
        blocker.close();
      }
      const row = /^default\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(
        (await cli(["status", "--db", `file:${file}`])).stdout,
      );
      // Never claimed: the port is bound before the Manager starts, so an instant job did not run
      // in a host that then gave up.
      expect(row?.slice(1)).toEqual(["1", "0", "0", "0"]);
    }, 60_000);
  }

  it("start resumes after a crash: waiting jobs stay and the dead run's active job is rescued", async () => {
    const file = join(dir, "resume.db");
    const storage = libsqlStorage({ url: `file:${file}` });
    await storage.migrate();
    const now = Date.now();
    const job = (input: { to: string }) => ({
      name: "quick",
      queue: "default",
      input,
      priority: 0,
      runAt: now,
      maxAttempts: 3,
      key: null,
    });
    await storage.enqueue([job({ to: "w@example.com" }), job({ to: "a@example.com" })], now);
    // A run that died holding one of them: claimed, never finished, its lease already over.
    const [held] = await storage.claim({ limit: 1, leaseMs: 1, now });
    const host = startHost(["--jobs", jobs, "--db", `file:${file}`, "--workers", "quick=1"]);
    await until(
      async () => (await storage.stats(Date.now()))[0]?.completed === 2,
      "both jobs to complete",
    );
    await until(() => host.output().includes("listening on"), "the host to listen");
    host.child.kill("SIGTERM");
    expect(await host.exited).toBe(0);
    expect((await storage.get(held?.id as string))?.attempts.map((a) => a.outcome)).toEqual([
      "stalled",
      "completed",
    ]);
    await storage.close?.();
  }, 60_000);

  it("start warns of a --workers key that names no job and no job's default queue", async () => {
    const host = startHost(["--jobs", jobs, "--db", ":memory:", "--workers", "quick=1,quik=2"]);
    await until(() => host.output().includes("listening on"), "the host to start");
    expect(host.output()).toContain(
      '--workers quik: no job is named "quik" and none goes to queue "quik" by default',
    );
    expect(host.output()).not.toContain("--workers quick:");
    host.child.kill("SIGTERM");
    expect(await host.exited).toBe(0);
  }, 60_000);

  it("start refuses a job module with two definitions of one name", async () => {
    const result = await cli([
      "start",
      "--jobs",
      "test/runtimes/fixtures/duplicate-jobs.ts",
      "--db",
      `file:${join(dir, "dup.db")}`,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/two definitions named "twin"/);
  }, 60_000);

  it("a second SIGINT forces the stop: the running job is released, not lost", async () => {
    const file = join(dir, "force.db");
    const host = startHost(["--jobs", jobs, "--db", `file:${file}`, "--workers", "slow=1"]);
    await until(() => host.output().includes("listening on"), "the host to start");
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
