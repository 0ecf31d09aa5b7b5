/**
 * The entry of one worker thread: loads the job module by URL and runs its handlers for the
 * Manager on the main thread. Only the main thread touches storage.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { tickBatch } from "../../src/host/tick-batch.js";
import { collectJobs, createExecutor } from "../../src/index.js";
import type { FromContext, ToContext } from "../../src/ports.js";

const port = parentPort;
if (!port) throw new Error("[shiftwork] runtimes/node/thread: not running in a worker thread");
const { jobsUrl, tsx } = workerData as { jobsUrl: string; tsx: boolean };

if (!tsx && /\.[cm]?tsx?$/.test(new URL(jobsUrl).pathname)) {
  // A TypeScript job module on Node 20: let tsx load it.
  const { register } = await import("tsx/esm/api");
  register();
}
const module = (await import(jobsUrl)) as Record<string, unknown>;
const outbox = tickBatch<FromContext>((batch) => port.postMessage(batch));
const executor = createExecutor({ jobs: collectJobs(module), send: outbox.add });
port.on("message", (batch: ToContext[]) => {
  for (const message of batch) executor.receive(message);
});
port.postMessage({ type: "ready" });
