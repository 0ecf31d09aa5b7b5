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

let executor: Executor | undefined;
self.onmessage = async (event: MessageEvent) => {
  const message = event.data as ToContext | { type: "init"; jobsUrl: string };
  if (message.type === "init") {
    const module = (await import(message.jobsUrl)) as Record<string, unknown>;
    executor = createExecutor({
      jobs: collectJobs(module),
      send: (out: FromContext) => self.postMessage(out),
    });
    self.postMessage({ type: "ready" });
    return;
  }
  executor?.receive(message);
};
