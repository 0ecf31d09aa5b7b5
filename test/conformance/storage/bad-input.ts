import type { Storage } from "shiftwork";
import { expect, it } from "vitest";
import { claim, newJob, run, type StorageCaseContext, seed, T0 } from "../_context.js";

async function snapshot(storage: Storage) {
  return JSON.stringify([await run(storage.list({ limit: 1000 })), await run(storage.stats(T0))]);
}

/** Every method rejects bad arguments with an error naming the field, and changes nothing. */
export function badInputCases(ctx: StorageCaseContext): void {
  it("bad input to each method gets a clear error and changes nothing", async () => {
    const storage = ctx.storage();
    await seed(storage, [newJob(), newJob({ runAt: T0 + 10_000 })]);
    const [held] = await claim(storage, { limit: 1 });
    const before = await snapshot(storage);
    const lease = { id: held?.id as string, token: held?.leaseToken as string };
    const calls: [string, () => unknown, RegExp][] = [
      ["enqueue", () => storage.enqueue([{ ...newJob(), name: 42 } as never], T0), /name/],
      ["enqueue", () => storage.enqueue([{ ...newJob(), runAt: -5 }], T0), /runAt/],
      ["enqueue", () => storage.enqueue([{ ...newJob(), maxAttempts: 0 }], T0), /maxAttempts/],
      ["enqueue", () => storage.enqueue([{ ...newJob(), queue: "has space" }], T0), /queue/],
      ["enqueue", () => storage.enqueue("nope" as never, T0), /jobs/],
      ["enqueue", () => storage.enqueue([newJob()], T0, { leaseMs: 0 }), /claim\.leaseMs/],
      [
        "enqueue",
        () => storage.enqueue([newJob()], T0, { names: "x", leaseMs: 1000 } as never),
        /claim\.names/,
      ],
      ["claim", () => storage.claim({ limit: 0, leaseMs: 1000, now: T0 }), /limit/],
      ["claim", () => storage.claim({ limit: 1.5, leaseMs: 1000, now: T0 }), /limit/],
      ["claim", () => storage.claim({ limit: 1, leaseMs: -1, now: T0 }), /leaseMs/],
      ["claim", () => storage.claim({ limit: 1, leaseMs: 1000, now: Number.NaN }), /now/],
      ["extendLeases", () => storage.extendLeases([lease], 0, T0), /leaseMs/],
      ["extendLeases", () => storage.extendLeases([{ id: lease.id } as never], 1000, T0), /token/],
      ["record", () => storage.record([{ ...lease, kind: "exploded" } as never], T0), /kind/],
      [
        "record",
        () => storage.record([{ ...lease, kind: "retry", error: { message: "x" } } as never], T0),
        /runAt/,
      ],
      ["rescueExpired", () => storage.rescueExpired("soon" as never), /now/],
      ["cancel", () => storage.cancel("", "x", T0), /id/],
      ["retry", () => storage.retry(undefined as never, T0), /id/],
      ["setPaused", () => storage.setPaused("", true), /queue/],
      ["get", () => storage.get(7 as never), /id/],
      ["list", () => storage.list({ limit: -1 }), /limit/],
      ["list", () => storage.list({ limit: 10, state: "sleeping" as never }), /state/],
      ["stats", () => storage.stats("now" as never), /now/],
      ["prune", () => storage.prune({ before: T0, states: [] }), /states/],
      ["prune", () => storage.prune({ before: T0, states: ["waiting" as never] }), /states/],
      ["nextWakeAt", () => storage.nextWakeAt({ queues: "q" } as never), /queues/],
    ];
    const failures: string[] = [];
    for (const [verb, call, field] of calls) {
      try {
        await run(call());
        failures.push(`${verb}: accepted bad input (${field})`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!field.test(message)) failures.push(`${verb}: "${message}" does not name ${field}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot(storage)).toBe(before);
  });
}
