// Thread entry used only when shiftwork runs from its TypeScript sources (tests, `npm start`):
// Node 20 does not apply `--import` loaders to a thread's entry, so register tsx, then load it.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
