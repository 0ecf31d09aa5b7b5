/**
 * `GET /events`: the Manager's job events as Server-Sent Events.
 * @module
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { LiveEvent } from "../events.js";

/** What the stream needs from a Manager. */
export type Subscribe = (listener: (event: LiveEvent) => void) => () => void;

/** Events held for a slow reader before the stream says it lagged and drops them. */
const BACKLOG = 1000;
/** A comment line this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/** Streams job events matching `filter` (a queue, a job id) until the client goes away. */
export function eventStream(
  c: Context,
  subscribe: Subscribe,
  filter: { queue?: string; job?: string },
): Response {
  return streamSSE(c, async (stream) => {
    let pending: LiveEvent[] = [];
    let lagged = false;
    let wake: (() => void) | undefined;
    let unsubscribe: (() => void) | undefined;
    // Both the abort and the end of the loop stop the subscription: only the first one counts.
    const stop = () => {
      unsubscribe?.();
      unsubscribe = undefined;
    };
    unsubscribe = subscribe((event) => {
      if (filter.queue !== undefined && event.queue !== filter.queue) return;
      if (filter.job !== undefined && event.jobId !== filter.job) return;
      if (pending.length >= BACKLOG) {
        pending = [];
        lagged = true;
      }
      pending.push(event);
      wake?.();
    });
    stream.onAbort(() => {
      stop();
      wake?.();
    });
    try {
      // Says the stream is live, so a client can tell "no events yet" from "not connected".
      await stream.writeSSE({ event: "ready", data: JSON.stringify(filter) });
      while (!stream.aborted && !stream.closed) {
        if (pending.length === 0 && !lagged) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, KEEPALIVE_MS);
          });
          clearTimeout(timer);
          wake = undefined;
          if (pending.length === 0 && !lagged && !stream.aborted)
            await stream.write(": keepalive\n\n");
          continue;
        }
        if (lagged) {
          lagged = false;
          await stream.writeSSE({ event: "lagged", data: "{}" });
        }
        const batch = pending;
        pending = [];
        for (const event of batch) {
          await stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
        }
      }
    } finally {
      stop();
    }
  });
}
