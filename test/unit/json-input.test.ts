import { describe, it } from "vitest";
import { rejectsAt, seeded, store } from "./_bad-input.js";

describe("input that JSON cannot hold is refused at enqueue", () => {
  it("a function", async () => {
    const { manager } = await seeded();
    await rejectsAt(manager, () => manager.enqueue(store, { payload: () => 1 }), "input.payload");
  });

  it("a cycle", async () => {
    const { manager } = await seeded();
    const node: { name: string; self?: unknown } = { name: "loop" };
    node.self = node;
    await rejectsAt(manager, () => manager.enqueue(store, { payload: node }), "input.payload.self");
  });

  it("a BigInt", async () => {
    const { manager } = await seeded();
    await rejectsAt(
      manager,
      () => manager.enqueue(store, { payload: [1, 2n] }),
      "input.payload[1]",
    );
  });

  it("the same, inside enqueueMany, names the item", async () => {
    const { manager } = await seeded();
    await rejectsAt(
      manager,
      () =>
        manager.enqueueMany([
          { name: "store", input: { payload: 1 } },
          { name: "store", input: { payload: 2 } },
          { name: "store", input: { payload: { at: new Map() } } },
        ]),
      "jobs[2].input.payload.at",
    );
  });
});
