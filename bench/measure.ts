// One measurement in a fresh process (so peak RSS and warm caches belong to it alone). Started by
// bench/run.ts as `measure.ts <scenario> <variant> <options as JSON>`; the last line it prints is
// the result as JSON.
import { measureBacklog } from "./scenarios/backlog.js";
import { measureCpu } from "./scenarios/cpu.js";
import { measureDrain } from "./scenarios/drain.js";
import { measureDrainPart } from "./scenarios/drain-parts.js";
import { measureEnqueue } from "./scenarios/enqueue.js";
import { measureLatency, runProducer } from "./scenarios/latency.js";
import { measureScale } from "./scenarios/scale.js";

const [scenario, variant, json] = process.argv.slice(2);
const options = JSON.parse(json ?? "{}");

const run = async (): Promise<unknown> => {
  switch (scenario) {
    case "A":
      return measureEnqueue(variant as "one" | "concurrent" | "many", options);
    case "B":
      return measureDrain(variant as "inline" | "threads", options);
    case "B-parts":
      return measureDrainPart(variant as "storage" | "manager", options);
    case "C":
      return measureLatency(variant as "same" | "other", options);
    case "C-producer":
      return runProducer(options.path, options);
    case "D":
      return measureScale(options);
    case "D-backlog":
      return measureBacklog(options);
    case "E":
      return measureCpu(options);
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
};

const result = await run();
if (result !== undefined) console.log(JSON.stringify(result));
process.exit(0);
