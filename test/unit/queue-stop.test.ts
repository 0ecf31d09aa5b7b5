import { defineJob } from "shiftwork";
import * as v from "valibot";
import { expect, it } from "vitest";
import { gate, nextEvent, setup } from "./_harness.js";

it("stopWorkers(queue) stops that queue's workers after their current job; other queues go on", async () => {
  const release = gate();
  const mail = defineJob({
    name: "mail",
    queue: "mail",
    input: v.object({}),
    run: () => release.promise,
  });
  const report = defineJob({
    name: "report",
    queue: "reports",
    input: v.object({}),
    run: () => "ok",
  });
  const { manager } = setup({ jobs: [mail, report], workers: { mail: 2, report: 1 } });
  await manager.start();
  const running = await manager.enqueue(mail, {});
  await nextEvent(manager, "active", (e) => e.jobId === running.id);
  const stopped = manager.stopWorkers("mail");
  const states = () => manager.workers().map((w) => `${w.serves}:${w.state}`);
  expect(states()).toEqual(["mail:stopping", "mail:stopped", "report:running"]);
  release.open();
  await stopped;
  expect(states()).toEqual(["mail:stopped", "mail:stopped", "report:running"]);
  expect((await manager.get(running.id))?.state).toBe("completed");
  // The stopped queue's jobs wait; the other queue's run.
  const waiting = await manager.enqueue(mail, {});
  const other = await manager.enqueue(report, {});
  await nextEvent(manager, "completed", (e) => e.jobId === other.id);
  expect((await manager.get(waiting.id))?.state).toBe("waiting");
  await manager.stop();
});
