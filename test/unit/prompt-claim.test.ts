import { defineJob, type Storage } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { gate, settle, setup } from "./_harness.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const tick = defineJob({
  name: "tick",
  input: v.object({}),
  run: async () => {
    await Promise.resolve();
  },
});

describe("work is picked up at once, not at the next timer", () => {
  it("freed workers drain a backlog with no time passing for polls or rescues", async () => {
    const { manager } = setup({ jobs: [tick], workers: { tick: 4 } });
    await manager.start();
    await manager.enqueueMany(Array.from({ length: 50 }, () => ({ name: "tick", input: {} })));
    // Far less than any poll (1s) or rescue (5s) interval.
    await vi.advanceTimersByTimeAsync(100);
    expect((await manager.stats())[0]).toMatchObject({ completed: 50, waiting: 0 });
    await manager.stop();
  });

  it("an enqueue that lands while the claim loop arms its timer is not left waiting", async () => {
    const inner = memoryStorage();
    const armed = gate();
    let wakeQueries = 0;
    // The first wake-up query answers late, with what it saw before the enqueue below.
    const storage: Storage = {
      ...inner,
      nextWakeAt: async (filter) => {
        const answer = await inner.nextWakeAt(filter);
        wakeQueries += 1;
        if (wakeQueries === 1) await armed.promise;
        return answer;
      },
    };
    const { manager } = setup({ jobs: [tick], workers: { tick: 1 }, storage });
    await manager.start();
    await settle();
    expect(wakeQueries).toBe(1);

    const { id } = await manager.enqueue(tick, {});
    armed.open();
    await vi.advanceTimersByTimeAsync(100);
    expect((await manager.get(id))?.state).toBe("completed");
    await manager.stop();
  });
});

describe("change notices", () => {
  it("a Manager with Workers subscribes to them; one that only enqueues does not", async () => {
    const subscribed: string[] = [];
    const storage = (who: string): Storage => {
      const inner = memoryStorage();
      return {
        ...inner,
        subscribe: (listener) => {
          subscribed.push(who);
          return inner.subscribe?.(listener) ?? (() => {});
        },
      };
    };
    const consumer = setup({ storage: storage("consumer"), jobs: [tick], workers: { tick: 1 } });
    const producer = setup({ storage: storage("producer"), jobs: [tick], workers: {} });
    await consumer.manager.start();
    await producer.manager.start();
    expect(subscribed).toEqual(["consumer"]);
    await producer.manager.stop();
    await consumer.manager.stop();
  });
});
