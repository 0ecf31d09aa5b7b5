// The Cloudflare host inside workerd: a Durable Object per queue, woken by its alarm.
import { abortAllDurableObjects, env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

interface Job {
  id: string;
  state: string;
  runAt: number;
  output: unknown;
  error: { message: string } | null;
  attempts: { startedAt: number; endedAt: number | null; outcome: string | null }[];
}

interface QueueEnv {
  JOBS: { idFromName(name: string): unknown; get(id: unknown): unknown };
}

async function enqueue(body: Record<string, unknown>): Promise<Job> {
  const response = await SELF.fetch("https://queue.test/jobs", {
    method: "POST",
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Job;
}

async function get(id: string): Promise<Job> {
  const response = await SELF.fetch(`https://queue.test/jobs/${encodeURIComponent(id)}`);
  // Says what came back, not only its status, when the job cannot be read.
  if (response.status !== 200) {
    throw new Error(`GET /jobs/${id}: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as Job;
}

/** Polls until the job is in `state` (alarms fire on their own in miniflare). */
async function until(id: string, state: string, timeoutMs = 15_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await get(id);
    if (job.state === state) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is ${job.state}, not ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("Cloudflare host (workerd)", () => {
  it("enqueue over HTTP: the job runs and completes; ids carry the queue", async () => {
    const job = await enqueue({
      name: "email.send",
      input: { to: "a@example.com", subject: "hi" },
    });
    expect(job.id).toMatch(/^default~\d+$/);
    const done = await until(job.id, "completed");
    expect(done.output).toMatchObject({ to: "a@example.com" });
  });

  it("a delayed job runs at its time, woken by the alarm", async () => {
    const job = await enqueue({
      name: "email.send",
      input: { to: "b@example.com", subject: "later" },
      queue: "later",
      delay: 600,
    });
    expect(job.state).toBe("waiting");
    const done = await until(job.id, "completed");
    expect(done.attempts[0]?.startedAt).toBeGreaterThanOrEqual(job.runAt);
  });

  it("an idle object has no alarm once its jobs are done (no poll while nothing can arrive)", async () => {
    const job = await enqueue({
      name: "email.send",
      input: { to: "c@example.com", subject: "quiet" },
      queue: "quiet",
    });
    await until(job.id, "completed");
    const jobs = (env as unknown as QueueEnv).JOBS;
    const stub = jobs.get(jobs.idFromName("quiet")) as never;
    const alarm = () =>
      runInDurableObject(stub, (_instance, state) =>
        (
          state as unknown as { storage: { getAlarm(): Promise<number | null> } }
        ).storage.getAlarm(),
      );
    // The last result's write and the wake-up that follows it settle first.
    const deadline = Date.now() + 5_000;
    while ((await alarm()) !== null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // A poll would re-arm the alarm within a second of each wake-up.
    for (let i = 0; i < 6; i++) {
      expect(await alarm()).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  it("a failing job retries with backoff through alarms", async () => {
    const job = await enqueue({ name: "report.flaky", input: { failures: 1 }, queue: "flaky" });
    const done = await until(job.id, "completed");
    expect(done.attempts.map((a) => a.outcome)).toEqual(["retry", "completed"]);
    const [first, second] = done.attempts;
    // Backoff base 200 ms, jitter 0.1: the second attempt starts at least 180 ms after the first ended.
    expect((second?.startedAt ?? 0) - (first?.endedAt ?? 0)).toBeGreaterThanOrEqual(180);
  });

  it("a job that exceeds its timeout is failed", async () => {
    const job = await enqueue({ name: "test.hang", input: {}, queue: "hang" });
    const done = await until(job.id, "failed");
    expect(done.error?.message).toMatch(/timed out after 300ms/);
  });

  it("an object reset while a job is active: after the lease the job is rescued and completes", async () => {
    const job = await enqueue({ name: "test.slow", input: { ms: 1500 }, queue: "reset" });
    await until(job.id, "active");
    await abortAllDurableObjects();
    const done = await until(job.id, "completed", 20_000);
    expect(done.attempts.map((a) => a.outcome)).toEqual(["stalled", "completed"]);
    expect(done.output).toEqual({ slept: 1500 });
  }, 30_000);

  it("two queues run in two objects: a paused queue does not stop the other", async () => {
    const paused = await SELF.fetch("https://queue.test/queues/qa/pause", { method: "POST" });
    expect(paused.status).toBe(200);
    const a = await enqueue({
      name: "email.send",
      input: { to: "a@example.com", subject: "a" },
      queue: "qa",
    });
    const b = await enqueue({
      name: "email.send",
      input: { to: "b@example.com", subject: "b" },
      queue: "qb",
    });
    await until(b.id, "completed");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await get(a.id)).state).toBe("waiting");
    const stats = (await (await SELF.fetch("https://queue.test/queues")).json()) as {
      queue: string;
      paused: boolean;
    }[];
    expect(stats.find((q) => q.queue === "qa")?.paused).toBe(true);
    expect(stats.find((q) => q.queue === "qb")?.paused).toBe(false);
    await SELF.fetch("https://queue.test/queues/qa/resume", { method: "POST" });
    await until(a.id, "completed");
  });

  it("bad requests get clear errors and store nothing", async () => {
    const unknown = await SELF.fetch("https://queue.test/jobs", {
      method: "POST",
      body: JSON.stringify({ name: "nope", input: {} }),
    });
    expect(unknown.status).toBe(422);
    const invalid = await SELF.fetch("https://queue.test/jobs", {
      method: "POST",
      body: JSON.stringify({ name: "email.send", input: { to: "x" }, queue: "bad" }),
    });
    expect(invalid.status).toBe(400);
    expect(
      ((await invalid.json()) as { error: { issues: { path: string }[] } }).error.issues.map(
        (i) => i.path,
      ),
    ).toContain("body.input.to");
    const stats = (await (await SELF.fetch("https://queue.test/queues")).json()) as {
      queue: string;
      waiting: number;
      delayed: number;
    }[];
    // Its object lists the queue it serves, with nothing in it.
    expect(stats.find((q) => q.queue === "bad")).toMatchObject({ waiting: 0, delayed: 0 });
    expect((await SELF.fetch("https://queue.test/jobs/bad~999")).status).toBe(404);
    expect((await SELF.fetch("https://queue.test/jobs/no-queue-here")).status).toBe(404);
  });

  it("a queue object fans CPU-heavy jobs out to stateless Worker invocations", async () => {
    const response = await SELF.fetch("https://queue.test/fan-out/jobs", {
      method: "POST",
      body: JSON.stringify({
        name: "image.resize",
        input: { width: 300, height: 200 },
        queue: "heavy",
      }),
    });
    expect(response.status).toBe(201);
    const job = (await response.json()) as Job;
    let state = "";
    let done: Job | undefined;
    for (let i = 0; i < 200 && state !== "completed"; i++) {
      done = (await (await SELF.fetch(`https://queue.test/fan-out/jobs/${job.id}`)).json()) as Job;
      state = done.state;
      if (state !== "completed") await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(done?.output).toMatchObject({ width: 300, height: 200 });
    expect(done?.attempts.map((a) => a.outcome)).toEqual(["completed"]);
  });

  it("a sharded queue spreads over objects; a key always lands in its shard; pause reaches every shard", async () => {
    const jobs = [];
    for (let i = 0; i < 8; i++) {
      jobs.push(
        await enqueue({
          name: "email.send",
          input: { to: `s${i}@example.com`, subject: "s" },
          queue: "sharded",
          key: `k${i}`,
        }),
      );
    }
    const shards = new Set(jobs.map((j) => /^sharded@(\d)~\d+$/.exec(j.id)?.[1]));
    expect(shards.has(undefined)).toBe(false);
    expect(shards.size).toBeGreaterThan(1);
    for (const job of jobs) await until(job.id, "completed");
    // While its job is live, a key maps to the same shard and the same job.
    const held = await enqueue({ name: "test.hang", input: {}, queue: "sharded", key: "held" });
    const again = await enqueue({ name: "test.hang", input: {}, queue: "sharded", key: "held" });
    expect(again.id).toBe(held.id);
    expect(
      (await SELF.fetch("https://queue.test/queues/sharded/pause", { method: "POST" })).status,
    ).toBe(200);
    const stats = (await (await SELF.fetch("https://queue.test/queues")).json()) as {
      queue: string;
      paused: boolean;
      completed: number;
    }[];
    const sharded = stats.find((q) => q.queue === "sharded");
    expect(sharded).toMatchObject({ paused: true });
    expect(sharded?.completed).toBeGreaterThanOrEqual(8);
    const parked = await enqueue({
      name: "email.send",
      input: { to: "p@example.com", subject: "p" },
      queue: "sharded",
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await get(parked.id)).state).toBe("waiting");
    await SELF.fetch("https://queue.test/queues/sharded/resume", { method: "POST" });
    await until(parked.id, "completed");
  });
});
