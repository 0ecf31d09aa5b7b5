import { defineJob, type Storage } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import * as v from "valibot";
import { expect, it } from "vitest";
import { gate, setup } from "./_harness.js";

const job = defineJob({ name: "noop", input: v.object({}), run: async () => 1 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("a claim still in flight when stop() is called is released before stop() resolves", async () => {
  const inner = memoryStorage();
  const claimGate = gate();
  let blockClaims = false;
  // An asynchronous storage (as @libsql/client is): a claim that waits, a record that takes time.
  const storage: Storage = {
    ...inner,
    name: "slow",
    recordAndClaim: undefined,
    // No hand-off: the enqueued job must reach the Worker through this claim.
    enqueue: (jobs, now) => inner.enqueue(jobs, now),
    async claim(request) {
      if (blockClaims) await claimGate.promise;
      return inner.claim(request);
    },
    async record(results, now) {
      await sleep(2);
      return inner.record(results, now);
    },
  };
  const { manager } = setup({ jobs: [job], workers: { noop: 1 }, storage });
  await manager.start();
  await sleep(10);
  blockClaims = true;
  const { id } = await manager.enqueue(job, {});
  await sleep(5); // the pump now waits inside claim
  const stopping = manager.stop({ graceful: false });
  await sleep(5);
  claimGate.open();
  await stopping;
  expect(await inner.get(id)).toMatchObject({ state: "waiting", attempt: 0 });
});

it("a hand-off still in flight when stop() is called is released before stop() resolves", async () => {
  const inner = memoryStorage();
  const insertGate = gate();
  let blockInserts = false;
  let handedOff: string | undefined;
  const storage: Storage = {
    ...inner,
    name: "slow",
    async enqueue(jobs, now, claim) {
      if (blockInserts) await insertGate.promise;
      const results = await inner.enqueue(jobs, now, claim);
      handedOff ??= results[0]?.claimed?.id;
      return results;
    },
  };
  const { manager } = setup({ jobs: [job], workers: { noop: 1 }, storage });
  await manager.start();
  await sleep(10);
  blockInserts = true;
  const enqueued = manager.enqueue(job, {});
  await sleep(5); // the insert that claims the job for the idle Worker now waits
  let stopped = false;
  const stopping = manager.stop({ graceful: false }).then(() => {
    stopped = true;
  });
  await sleep(5);
  // Stop waits for the insert in flight, as for any claim.
  expect(stopped).toBe(false);
  insertGate.open();
  await stopping;
  // Read before the caller's enqueue settles: stop itself saw the job released.
  expect(handedOff).toBeDefined();
  expect(await inner.get(handedOff as string)).toMatchObject({ state: "waiting", attempt: 0 });
  // The caller gets the job as it was stored (claimed); the Worker never ran it.
  expect((await enqueued).state).toBe("active");
});
