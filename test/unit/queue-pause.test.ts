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
  it("stops claims of the queue; other queues carry on", async () => {
    const { manager } = setup({ jobs: [send, report], workers: { emails: 2, default: 1 } });
    await manager.start();
    await manager.pause("emails");

    // The pause is storage's: the Workers stay running, and are given no job of the queue.
    expect(manager.workers().map((w) => [w.queue, w.state])).toEqual([
      ["emails", "running"],
      ["emails", "running"],
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
    const { manager, trail } = setup({ jobs: [send], workers: { emails: 2 } });
    await manager.start();
    const [own, other] = manager.workers();
    own?.pause();
    await manager.pause("emails");
    await manager.resume("emails");
    expect(manager.workers().map((w) => w.state)).toEqual(["paused", "running"]);
    const first = await manager.enqueue(send, { to: "a@example.com" });
    const second = await manager.enqueue(send, { to: "b@example.com" });
    await settle();
    // One Worker takes both, one after the other; the paused one takes none.
    expect((await manager.get(first.id))?.state).toBe("completed");
    expect((await manager.get(second.id))?.state).toBe("completed");
    expect([own?.state, other?.state]).toEqual(["paused", "running"]);
    expect(trail(first.id)).toEqual(["enqueued", "active", "completed"]);
    await manager.stop();
  });

  it("a queue this Manager paused runs again when another process resumes it", async () => {
    const storage = memoryStorage();
    const host = setup({ jobs: [send], workers: { "email.send": 1 }, storage });
    await host.manager.start();
    await host.manager.pause("emails");
    const { id } = await host.manager.enqueue(send, { to: "c@example.com" });
    await vi.advanceTimersByTimeAsync(5_000);
    expect((await storage.get(id))?.state).toBe("waiting");
    // The CLI's `shiftwork resume emails`, or another Manager: storage alone.
    await storage.setPaused("emails", false);
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect((await storage.get(id))?.state).toBe("completed");
    await host.manager.stop();
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
    const stats = await manager.stats();
    expect(stats.map((s) => [s.queue, s.paused])).toEqual([
      ["default", true],
      ["emails", true],
    ]);
    await manager.resume();
    expect((await manager.stats()).every((s) => !s.paused)).toBe(true);
    await manager.stop();
  });
});
