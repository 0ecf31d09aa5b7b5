import { nodeThreadScheduler } from "shiftwork/runtimes/node";
import { testScheduler } from "shiftwork/testing";
import { sourceExecArgv } from "./_node.js";
import { testSharedThreads } from "./_shared-threads.js";

testScheduler({
  name: "node thread scheduler, every context on one thread",
  create: () =>
    nodeThreadScheduler({
      jobs: new URL("../conformance/jobs.ts", import.meta.url),
      execArgv: sourceExecArgv,
      threads: 1,
    }),
});

testSharedThreads({
  name: "Node Workers sharing threads",
  create: (threads) =>
    nodeThreadScheduler({
      jobs: new URL("./fixtures/shared-jobs.ts", import.meta.url),
      execArgv: sourceExecArgv,
      threads,
    }),
});
