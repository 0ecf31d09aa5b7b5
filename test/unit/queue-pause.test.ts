import { defineJob } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { settle, setup } from "./_harness.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const send = defineJob({
  name: "email.send",
  queue: "emails",
  input: v.object({ to: v.string() }),
  run: ({ to }) => `sent to ${to}`,
});
const report = defineJob({
  name: "report",
  input: v.object({}),
  run: () => "reported",
});

describe("pause and resume a queue", () => {
  it("pauses the queue's workers and stops claims; other queues carry on", async () => {
    const { manager } = setup({ jobs: [send, report], workers: { emails: 2, default: 1 } });
    await manager.start();
    await manager.pause("emails");

    expect(manager.workers().map((w) => [w.queue, w.state])).toEqual([
      ["emails", "paused"],
      ["emails", "paused"],
      ["default", "running"],
    ]);
    const mail = await manager.enqueue(send, { to: "a@example.com" });
    const other = await manager.enqueue(report, {});
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await manager.get(mail.id))?.state).toBe("waiting");
    expect((await manager.get(other.id))?.state).toBe("completed");
    const emails = (await manager.stats()).find((s) => s.queue === "emails");
    expect(emails).toMatchObject({ paused: true, waiting: 1, active: 0 });

    await manager.resume("emails");
    await settle();
    expect(manager.workers().map((w) => w.state)).toEqual(["running", "running", "running"]);
    expect((await manager.get(mail.id))?.output).toBe("sent to a@example.com");
    expect((await manager.stats()).find((s) => s.queue === "emails")?.paused).toBe(false);
    await manager.stop();
  });

  it("is stored: a second Manager on the same storage does not claim a paused queue", async () => {
    const storage = memoryStorage();
    const first = setup({ jobs: [send], workers: { "email.send": 1 }, storage });
    await first.manager.start();
    await first.manager.pause("emails");

    const second = setup({ jobs: [send], workers: { "email.send": 3 }, storage });
    await second.manager.start();
    const { id } = await second.manager.enqueue(send, { to: "b@example.com" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await storage.get(id))?.state).toBe("waiting");
    expect(second.trail(id)).toEqual(["enqueued"]);

    await first.manager.resume("emails");
    await settle();
    expect((await storage.get(id))?.state).toBe("completed");
    const claimedBy = [...first.trail(id), ...second.trail(id)].filter((t) => t === "active");
    expect(claimedBy).toHaveLength(1);
    await first.manager.stop();
    await second.manager.stop();
  });

  it("a Worker paused on its own stays paused through its queue's pause and resume", async () => {
    const { manager } = setup({ jobs: [send], workers: { emails: 2 } });
    await manager.start();
    const [own, other] = manager.workers();
    own?.pause();
    await manager.pause("emails");
    await manager.resume("emails");
    expect(manager.workers().map((w) => w.state)).toEqual(["paused", "running"]);
    const first = await manager.enqueue(send, { to: "a@example.com" });
    await settle();
    expect((await manager.get(first.id))?.state).toBe("completed");
    // Its own resume, while its queue is paused, waits for the queue too.
    await manager.pause("emails");
    own?.resume();
    expect(own?.state).toBe("paused");
    await manager.resume("emails");
    expect([own?.state, other?.state]).toEqual(["running", "running"]);
    await manager.stop();
  });

  it("stats list every queue this Manager's Workers serve, with zero counts before any job", async () => {
    const { manager } = setup({ jobs: [send, report], workers: { emails: 1 } });
    await manager.start();
    expect((await manager.stats()).map((s) => [s.queue, s.waiting, s.completed])).toEqual([
      ["emails", 0, 0],
    ]);
    // A queue no Worker here serves is listed once it holds a job, in name order.
    await manager.enqueue(send, { to: "a@example.com" });
    await manager.enqueue(report, {});
    await settle();
    expect((await manager.stats()).map((s) => [s.queue, s.waiting, s.completed])).toEqual([
      ["default", 1, 0],
      ["emails", 0, 1],
    ]);
    await manager.stop();
  });

  it("pause() with no queue pauses every queue of the Manager", async () => {
    const { manager } = setup({ jobs: [send, report], workers: { emails: 1, default: 1 } });
    await manager.start();
    await manager.pause();
    expect(manager.workers().every((w) => w.state === "paused")).toBe(true);
    const stats = await manager.stats();
    expect(stats.map((s) => [s.queue, s.paused])).toEqual([
      ["default", true],
      ["emails", true],
    ]);
    await manager.resume();
    expect(manager.workers().every((w) => w.state === "running")).toBe(true);
    await manager.stop();
  });
});
