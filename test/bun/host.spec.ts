// The Bun host, under real Bun: driven by test/runtimes/bun.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManager, type JobEvent } from "shiftwork";
import { bunSqliteStorage } from "shiftwork/adapters/bun-sqlite";
import { bunWorkerScheduler } from "shiftwork/runtimes/bun";
import { afterAll, describe, expect, it } from "vitest";
import * as exampleJobs from "../../examples/jobs.js";
import { testSharedThreads } from "../runtimes/_shared-threads.js";
import * as threadJobs from "../runtimes/fixtures/thread-jobs.js";

const dir = mkdtempSync(join(tmpdir(), "shiftwork-bun-host-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tracked(manager: EventTarget) {
  const done = new Map<string, JobEvent>();
  const waiters = new Map<string, (e: JobEvent) => void>();
  for (const type of ["completed", "failed", "cancelled"]) {
    manager.addEventListener(type, (event) => {
      const e = event as JobEvent;
      done.set(e.jobId, e);
      waiters.get(e.jobId)?.(e);
    });
  }
  return (id: string) =>
    done.get(id)
      ? Promise.resolve(done.get(id) as JobEvent)
      : new Promise<JobEvent>((resolve) => waiters.set(id, resolve));
}

describe("Bun host on Web Workers", () => {
  it("runs the example job module (the same file Node runs) on bun:sqlite", async () => {
    const manager = createManager({
      storage: bunSqliteStorage({ path: join(dir, "example.db") }),
      scheduler: bunWorkerScheduler({ jobs: new URL("../../examples/jobs.ts", import.meta.url) }),
      jobs: exampleJobs,
      workers: { "email.send": 2, "image.resize": 1, "report.flaky": 1 },
    });
    const finished = tracked(manager);
    await manager.start();
    const email = await manager.enqueue(exampleJobs.sendEmail, {
      to: "a@example.com",
      subject: "hi",
    });
    const image = await manager.enqueue(exampleJobs.resizeImage, { width: 50, height: 20 });
    const flaky = await manager.enqueue(exampleJobs.flakyReport, { failures: 1 });
    expect((await finished(email.id)).type).toBe("completed");
    expect((await finished(image.id)).output).toMatchObject({ width: 50, height: 20 });
    const report = await finished(flaky.id);
    expect(report.type).toBe("completed");
    expect((await manager.get(flaky.id))?.attempts.map((a) => a.outcome)).toEqual([
      "retry",
      "completed",
    ]);
    await manager.stop();
  }, 20_000);

  it("a worker that exits fails only its own job and is replaced", async () => {
    const manager = createManager({
      storage: bunSqliteStorage({ path: join(dir, "exit.db") }),
      scheduler: bunWorkerScheduler({
        jobs: new URL("../runtimes/fixtures/thread-jobs.ts", import.meta.url),
      }),
      jobs: threadJobs,
      workers: { exit: 1, ok: 1 },
    });
    const finished = tracked(manager);
    await manager.start();
    const bystander = await manager.enqueue(threadJobs.ok, { n: 1 });
    const victim = await manager.enqueue(threadJobs.exit, {});
    expect((await finished(victim.id)).type).toBe("failed");
    expect((await finished(bystander.id)).type).toBe("completed");
    const again = await manager.enqueue(threadJobs.exit, {});
    expect((await finished(again.id)).type).toBe("failed");
    await manager.stop();
  }, 20_000);

  it("a worker over the memory budget is terminated; only its job fails", async () => {
    const budget = Math.round(process.memoryUsage().rss / 2 ** 20) + 300;
    const manager = createManager({
      storage: bunSqliteStorage({ path: join(dir, "oom.db") }),
      scheduler: bunWorkerScheduler({
        jobs: new URL("../runtimes/fixtures/thread-jobs.ts", import.meta.url),
        maxRssMb: budget,
        memoryCheckInterval: 50,
      }),
      jobs: threadJobs,
      workers: { oom: 1, ok: 1 },
    });
    const finished = tracked(manager);
    await manager.start();
    const victim = await manager.enqueue(threadJobs.oom, {});
    const outcome = await finished(victim.id);
    expect(outcome.type).toBe("failed");
    expect(outcome.error?.message).toMatch(/memory over \d+ MiB/);
    const after = await manager.enqueue(threadJobs.ok, { n: 2 });
    expect((await finished(after.id)).type).toBe("completed");
    await manager.stop();
  }, 30_000);

  it("a CPU-bound handler past its timeout is failed and its worker replaced", async () => {
    const manager = createManager({
      storage: bunSqliteStorage({ path: join(dir, "spin.db") }),
      scheduler: bunWorkerScheduler({
        jobs: new URL("../runtimes/fixtures/thread-jobs.ts", import.meta.url),
      }),
      jobs: threadJobs,
      workers: { spin: 1 },
      abortGrace: 300,
    });
    const finished = tracked(manager);
    await manager.start();
    const spinning = await manager.enqueue(threadJobs.spin, { ms: 60_000 });
    const outcome = await finished(spinning.id);
    expect(outcome.type).toBe("failed");
    expect(outcome.error?.message).toMatch(/timed out after 200ms/);
    expect((await manager.get(spinning.id))?.attempts.map((a) => a.outcome)).toEqual([
      "retry",
      "failed",
    ]);
    // The stuck worker was terminated and replaced: the next job runs.
    const quick = await manager.enqueue(threadJobs.spin, { ms: 1 });
    expect((await finished(quick.id)).type).toBe("completed");
    await manager.stop();
  }, 30_000);

  it("a graceful stop lets the jobs in flight finish", async () => {
    const manager = createManager({
      storage: bunSqliteStorage({ path: join(dir, "stop.db") }),
      scheduler: bunWorkerScheduler({
        jobs: new URL("../runtimes/fixtures/thread-jobs.ts", import.meta.url),
      }),
      jobs: threadJobs,
      workers: { spin: 2 },
    });
    await manager.start();
    // Listen first: an idle worker may start a job before the enqueue that follows returns. Stop
    // once both jobs are in flight: a job claimed after stop began goes back to storage instead.
    let started = 0;
    const bothActive = new Promise<void>((resolve) =>
      manager.addEventListener("active", () => {
        if (++started === 2) resolve();
      }),
    );
    const jobs = [
      await manager.enqueue(threadJobs.spin, { ms: 150 }),
      await manager.enqueue(threadJobs.spin, { ms: 150 }),
    ];
    await bothActive;
    await manager.stop();
    for (const job of jobs) expect((await manager.get(job.id))?.state).toBe("completed");
    expect(manager.workers().map((w) => w.state)).toEqual(["stopped", "stopped"]);
  }, 30_000);
});

testSharedThreads({
  name: "Bun Manager Workers sharing Web Workers",
  create: (threads) =>
    bunWorkerScheduler({
      jobs: new URL("../runtimes/fixtures/shared-jobs.ts", import.meta.url),
      threads,
    }),
});
