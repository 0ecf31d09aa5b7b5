/**
 * The entry of one Bun Web Worker: loads the job module by URL (sent in the first message) and
 * runs its handlers for the Manager on the main thread. Only the main thread touches storage.
 * @module
 */
import { collectJobs, createExecutor, type Executor } from "../../src/index.js";
import type { FromContext, ToContext } from "../../src/ports.js";

declare const self: {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
};

// Messages cross in batches both ways, as in Node threads: everything sent in one tick is one
// postMessage, so the hop does not dominate short jobs (and several Manager Workers sharing this
// worker share its messages).
const outbox: FromContext[] = [];
const flush = () => self.postMessage(outbox.splice(0));
let executor: Executor | undefined;
self.onmessage = async (event: MessageEvent) => {
  const message = event.data as ToContext[] | { type: "init"; jobsUrl: string };
  if (!Array.isArray(message)) {
    const module = (await import(message.jobsUrl)) as Record<string, unknown>;
    executor = createExecutor({
      jobs: collectJobs(module),
      send: (out: FromContext) => {
        if (outbox.push(out) === 1) queueMicrotask(flush);
      },
    });
    self.postMessage({ type: "ready" });
    return;
  }
  for (const each of message) executor?.receive(each);
};
