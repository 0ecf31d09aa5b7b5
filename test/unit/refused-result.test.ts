import { createManager, defineJob, type JobResult, type Storage } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { expect, it } from "vitest";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("a result storage keeps refusing does not stop other jobs from being claimed", async () => {
  const started: number[] = [];
  const job = defineJob({
    name: "work",
    input: v.object({ n: v.number() }),
    run: ({ n }) => {
      started.push(n);
      return n;
    },
  });
  const inner = memoryStorage();
  let refused = "";
  const refuse = (results: readonly JobResult[]) => {
    if (results.some((r) => r.id === refused)) throw new Error("disk full (this result only)");
  };
  // Writes that carry the first job's result always fail; everything else works.
  const storage: Storage = {
    ...inner,
    record(results, now) {
      refuse(results);
      return inner.record(results, now);
    },
    recordAndClaim(results, requests, now) {
      refuse(results);
      return inner.recordAndClaim?.(results, requests, now) as never;
    },
  };
  // Not the harness's setup: its error listener throws, and here errors are expected.
  const manager = createManager({
    storage,
    scheduler: inlineScheduler(),
    jobs: [job],
    workers: { work: 1 },
  });
  const errors: string[] = [];
  manager.addEventListener("error", (event) => {
    errors.push((event as unknown as { during: string }).during);
  });
  await manager.start();
  const first = await manager.enqueue(job, { n: 1 });
  refused = first.id;
  for (let i = 0; i < 100 && !errors.includes("record"); i++) await sleep(10);
  expect(errors).toContain("record");
  await manager.enqueue(job, { n: 2 });
  for (let i = 0; i < 100 && !started.includes(2); i++) await sleep(10);
  expect(started).toEqual([1, 2]);
  refused = ""; // storage recovers: the queued results are written, and stop can flush them
  await manager.stop();
  expect((await inner.get(first.id))?.state).toBe("completed");
});
