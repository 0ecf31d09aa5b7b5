/**
 * The entry of one Bun Web Worker: loads the job module by URL (sent in the first message) and
 * runs its handlers for the Manager on the main thread. Only the main thread touches storage.
 * @module
 */

import { tickBatch } from "../../src/host/tick-batch.js";
import { collectJobs, createExecutor, type Executor } from "../../src/index.js";
import type { FromContext, ToContext } from "../../src/ports.js";

declare const self: {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
};

// Messages cross in batches both ways, as in Node threads (several Manager Workers sharing this
// worker share its messages).
const outbox = tickBatch<FromContext>((batch) => self.postMessage(batch));
let executor: Executor | undefined;
self.onmessage = async (event: MessageEvent) => {
  const message = event.data as ToContext[] | { type: "init"; jobsUrl: string };
  if (!Array.isArray(message)) {
    const module = (await import(message.jobsUrl)) as Record<string, unknown>;
    executor = createExecutor({ jobs: collectJobs(module), send: outbox.add });
    self.postMessage({ type: "ready" });
    return;
  }
  for (const each of message) executor?.receive(each);
};
