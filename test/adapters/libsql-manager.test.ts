import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManager, defineJob, type JobEvent, type Storage } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { afterEach, beforeEach, expect, it } from "vitest";

const echo = defineJob({
  name: "echo",
  input: v.object({ text: v.string() }),
  run: ({ text }) => text.toUpperCase(),
});

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "shiftwork-libsql-manager-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A Manager of `echo` on `storage` whose rescue sweep is an hour away: nothing but a change notice
 * or its wake-up slot can start a job it did not enqueue itself.
 */
const echoManager = (storage: Storage, workers: Record<string, number>) =>
  createManager({
    storage,
    scheduler: inlineScheduler(),
    jobs: [echo],
    workers,
    rescueInterval: "1h",
  });

/**
 * Completion times by job id, recorded from the start: a job may complete before the enqueue
 * that follows it returns (an idle worker starts it at once), so listen before enqueueing.
 */
const completions = (manager: EventTarget) => {
  const times = new Map<string, number>();
  const waiters = new Map<string, (time: number) => void>();
  manager.addEventListener("completed", (event) => {
    const { jobId } = event as JobEvent;
    times.set(jobId, Date.now());
    waiters.get(jobId)?.(Date.now());
  });
  return (jobId: string) =>
    new Promise<number>((resolve) => {
      const time = times.get(jobId);
      if (time !== undefined) resolve(time);
      else waiters.set(jobId, resolve);
    });
};

it("a Manager on a libSQL file runs jobs, and a delayed job not before its time", async () => {
  // Nothing but the wake-up slot armed for the delayed job's time can start it.
  const manager = echoManager(libsqlStorage({ url: `file:${join(dir, "m.db")}` }), { echo: 2 });
  const completion = completions(manager);
  await manager.start();
  const now = Date.now();
  const job = await manager.enqueue(echo, { text: "hello" });
  const delayed = await manager.enqueue(echo, { text: "later" }, { delay: 300 });
  const [, delayedDone] = await Promise.all([completion(job.id), completion(delayed.id)]);
  expect(delayedDone).toBeGreaterThanOrEqual(now + 300);
  expect(await manager.get(job.id)).toMatchObject({ state: "completed", output: "HELLO" });
  const started = (await manager.get(delayed.id))?.attempts[0]?.startedAt ?? 0;
  expect(started).toBeGreaterThanOrEqual(now + 300);
  await manager.stop();
});

it("a job enqueued through another handle (process) is noticed through data_version, not a poll", async () => {
  const file = join(dir, "two.db");
  // Without the change notice, nothing would wake this Manager for an hour.
  const manager = echoManager(libsqlStorage({ url: `file:${file}` }), { echo: 1 });
  const completion = completions(manager);
  await manager.start();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const other = libsqlStorage({ url: `file:${file}` });
  await other.migrate();
  const [result] = await other.enqueue(
    [
      {
        name: "echo",
        queue: "default",
        input: { text: "from afar" },
        priority: 0,
        runAt: Date.now(),
        maxAttempts: 1,
        key: null,
      },
    ],
    Date.now(),
  );
  await completion(result?.job.id as string);
  expect((await other.get(result?.job.id as string))?.output).toBe("FROM AFAR");
  await other.close?.();
  await manager.stop();
});

it("another handle's enqueue wakes the Manager through the file watch, the poll an hour away", async () => {
  const file = join(dir, "watched.db");
  // The data_version poll is only the fallback of the watch: put it out of the way.
  const manager = echoManager(
    libsqlStorage({ url: `file:${file}`, changePollInterval: 3_600_000 }),
    { echo: 1 },
  );
  const completion = completions(manager);
  await manager.start();
  const other = echoManager(libsqlStorage({ url: `file:${file}` }), {});
  await other.start();
  for (const text of ["one", "two", "three"]) {
    const job = await other.enqueue(echo, { text });
    await completion(job.id);
    expect((await other.get(job.id))?.output).toBe(text.toUpperCase());
  }
  await other.stop();
  await manager.stop();
});
