import { nodeThreadScheduler } from "shiftwork/runtimes/node";
import { testScheduler } from "shiftwork/testing";
import { sourceExecArgv } from "./_node.js";

testScheduler({
  name: "node thread scheduler",
  create: () =>
    nodeThreadScheduler({
      jobs: new URL("../conformance/jobs.ts", import.meta.url),
      execArgv: sourceExecArgv,
    }),
});
