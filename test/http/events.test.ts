import { createManager, defineJob, type LiveEvent, type Manager } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { createApp, type ManagerLike } from "shiftwork/http";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const hello = defineJob({
  name: "hello",
  input: v.object({ who: v.string() }),
  run: ({ who }, { progress }) => {
    progress({ half: true });
    return { greeting: `hi ${who}` };
  },
});
const other = defineJob({ name: "other", queue: "side", input: v.object({}), run: () => 1 });

// biome-ignore lint/suspicious/noExplicitAny: a Manager of this test's job module
let manager: Manager<any>;
let open = 0;
/** The Manager, counting the event subscriptions the app holds open. */
let counted: ManagerLike;
beforeEach(async () => {
  manager = createManager({
    storage: memoryStorage(),
    scheduler: inlineScheduler(),
    jobs: [hello, other],
    workers: { default: 1, side: 1 },
  });
  await manager.start();
  open = 0;
  counted = Object.assign(Object.create(manager), {
    subscribe(listener: (event: LiveEvent) => void) {
      open++;
      const stop = manager.subscribe(listener);
      return () => {
        open--;
        stop();
      };
    },
  });
});
afterEach(() => manager.stop());

/** Reads SSE frames from a response until `until` says stop; returns `[event, data]` pairs. */
async function readEvents(response: Response, until: (frames: [string, unknown][]) => boolean) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const frames: [string, unknown][] = [];
  let text = "";
  while (!until(frames)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let end = text.indexOf("\n\n");
    while (end >= 0) {
      const frame = text.slice(0, end);
      text = text.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (event) frames.push([event, data === undefined ? undefined : JSON.parse(data)]);
      end = text.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return frames;
}

describe("GET /events (Server-Sent Events)", () => {
  it("streams a job's life cycle, filtered by queue, and lets go when the client leaves", async () => {
    const app = createApp(counted);
    const response = await app.request("/events?queue=default");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reading = readEvents(response, (f) => f.some(([e]) => e === "completed"));
    await manager.enqueue("other", {}); // another queue: filtered out
    const job = await manager.enqueue("hello", { who: "ada" });
    const frames = await reading;
    expect(frames[0]).toEqual(["ready", { queue: "default" }]);
    const mine = frames.slice(1);
    expect(mine.map(([e]) => e)).toEqual(["enqueued", "active", "progress", "completed"]);
    for (const [, data] of mine) expect(data).toMatchObject({ jobId: job.id, queue: "default" });
    expect(mine[3]?.[1]).toMatchObject({ name: "hello", output: { greeting: "hi ada" } });
    // The reader cancelled: the stream unsubscribes.
    await expect.poll(() => open).toBe(0);
  });

  it("filters by job id", async () => {
    const first = await manager.enqueue("hello", { who: "one" });
    const app = createApp(counted);
    const retried = await manager.enqueue("hello", { who: "two" });
    const response = await app.request(`/events?job=${retried.id}`);
    const reading = readEvents(response, (f) => f.some(([e]) => e === "completed"));
    await manager.enqueue("hello", { who: "three" });
    const frames = await reading;
    const ids = new Set(frames.slice(1).map(([, d]) => (d as { jobId: string }).jobId));
    expect([...ids]).toEqual([retried.id]);
    expect(ids.has(first.id)).toBe(false);
  });

  it("bad filters are 400; a manager without events is 501", async () => {
    const app = createApp(counted);
    const bad = await app.request("/events?queue=%3Cscript%3E&colour=red");
    expect(bad.status).toBe(400);
    const { issues } = ((await bad.json()) as { error: { issues: { path: string }[] } }).error;
    expect(issues.map((i) => i.path).sort()).toEqual(["query.colour", "query.queue"]);
    const { subscribe: _none, ...plain } = {
      ...Object.fromEntries(
        [
          "enqueue",
          "enqueueMany",
          "get",
          "list",
          "cancel",
          "retry",
          "pause",
          "resume",
          "stats",
        ].map((k) => [k, (manager as never)[k]]),
      ),
      subscribe: undefined,
    };
    const without = createApp(plain as unknown as ManagerLike);
    expect((await without.request("/events")).status).toBe(501);
    expect(open).toBe(0);
  });
});
