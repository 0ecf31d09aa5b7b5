import { defineJob } from "shiftwork";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { gate, settle, setup } from "./_harness.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

function keyedJob() {
  const gates: ReturnType<typeof gate<void>>[] = [];
  const sync = defineJob({
    name: "sync",
    input: v.object({ account: v.string() }),
    run: () => {
      const g = gate();
      gates.push(g);
      return g.promise;
    },
  });
  return { sync, gates };
}

describe("unique keys", () => {
  it("returns the waiting job for a second enqueue with its key", async () => {
    const { sync } = keyedJob();
    const { manager } = setup({ jobs: [sync], workers: { sync: 1 } });
    const first = await manager.enqueue(sync, { account: "a" }, { key: "sync:a" });
    const again = await manager.enqueue(sync, { account: "a" }, { key: "sync:a" });
    const other = await manager.enqueue(sync, { account: "b" }, { key: "sync:b" });
    expect(again.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    expect((await manager.list()).jobs).toHaveLength(2);
  });

  it("returns the active job for a second enqueue; after completion a new one is made", async () => {
    const { sync, gates } = keyedJob();
    const { manager } = setup({ jobs: [sync], workers: { sync: 1 } });
    await manager.start();
    const first = await manager.enqueue(sync, { account: "a" }, { key: "sync:a" });
    await settle();
    expect((await manager.get(first.id))?.state).toBe("active");

    const whileActive = await manager.enqueue(sync, { account: "a" }, { key: "sync:a" });
    expect(whileActive.id).toBe(first.id);
    expect(whileActive.state).toBe("active");

    gates[0]?.open();
    await settle();
    expect((await manager.get(first.id))?.state).toBe("completed");
    const afterwards = await manager.enqueue(sync, { account: "a" }, { key: "sync:a" });
    expect(afterwards.id).not.toBe(first.id);
    // Handed straight to the idle Worker, whose last claim found nothing else: stored claimed.
    expect(afterwards.state).toBe("active");
    expect((await manager.list()).jobs).toHaveLength(2);

    await settle();
    gates[1]?.open();
    await manager.stop();
  });

  it("dedupes within one enqueueMany batch", async () => {
    const { sync } = keyedJob();
    const { manager } = setup({ jobs: [sync], workers: { sync: 1 } });
    const [a, b, c] = await manager.enqueueMany([
      { name: "sync", input: { account: "a" }, options: { key: "k" } },
      { name: "sync", input: { account: "a" }, options: { key: "k" } },
      { name: "sync", input: { account: "c" } },
    ]);
    expect(b?.id).toBe(a?.id);
    expect(c?.id).not.toBe(a?.id);
    expect((await manager.list()).jobs).toHaveLength(2);
  });
});
