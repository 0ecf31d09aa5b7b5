import { inlineScheduler } from "shiftwork/runtimes/inline";
import { testScheduler } from "shiftwork/testing";

testScheduler({ name: "inline scheduler", create: () => inlineScheduler() });
