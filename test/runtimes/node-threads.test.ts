import { nodeThreadScheduler } from "shiftwork/runtimes/node";
import { testScheduler } from "shiftwork/testing";
import { expect, it, vi } from "vitest";
import { sourceExecArgv } from "./_node.js";

testScheduler({
  name: "node thread scheduler",
  create: () =>
    nodeThreadScheduler({
      jobs: new URL("../conformance/jobs.ts", import.meta.url),
      execArgv: sourceExecArgv,
    }),
});

it("the thread scheduler says when its threads' messages are delivered, fake timers or not", async () => {
  const scheduler = nodeThreadScheduler({
    jobs: new URL("../conformance/jobs.ts", import.meta.url),
    execArgv: sourceExecArgv,
  });
  expect(typeof scheduler.delivered).toBe("function");
  vi.useFakeTimers();
  try {
    // Waits for messages, not for time: faked timers must not hold it.
    await scheduler.delivered?.();
  } finally {
    vi.useRealTimers();
    await scheduler.close?.();
  }
});
