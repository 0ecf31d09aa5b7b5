import { nodeThreadScheduler } from "shiftwork/runtimes/node";
import { testScheduler } from "shiftwork/testing";

// The threads load TypeScript sources: give them tsx and the source export condition.
export const sourceExecArgv = ["--conditions=shiftwork-source", "--import", "tsx"];

testScheduler({
  name: "node thread scheduler",
  create: () =>
    nodeThreadScheduler({
      jobs: new URL("../conformance/jobs.ts", import.meta.url),
      execArgv: sourceExecArgv,
    }),
});
