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
