import { createManager, defineJob } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { expect, it } from "vitest";

it("runs a job", async () => {
  const hello = defineJob({
    name: "hello",
    input: v.object({ who: v.string() }),
    run: ({ who }) => `hi ${who}`,
  });
  const m = createManager({
    storage: memoryStorage(),
    scheduler: inlineScheduler(),
    jobs: [hello],
    workers: { hello: 2 },
  });
  await m.start();
  const done = new Promise((r) => m.addEventListener("completed", r));
  const job = await m.enqueue(hello, { who: "x" });
  await done;
  expect((await m.get(job.id))?.output).toBe("hi x");
  await m.stop();
});
