/**
 * A Scheduler that runs handlers in the calling thread, with `setTimeout` as its wake-up slot.
 * Works on every host; CPU-bound handlers block the host while they run.
 * @module
 */
import { MAX_TIMER_MS } from "../src/_long-timer.js";
import { createExecutor } from "../src/host/executor.js";
import type { ExecutionContext, FromContext, Scheduler } from "../src/ports.js";

/** Options of {@link inlineScheduler}. */
export interface InlineSchedulerOptions {
  /** Clock used to turn wake-up times into timer delays. Default `Date.now`. */
  now?: () => number;
}

/** Creates a Scheduler that runs each Worker's handlers in this thread. */
export function inlineScheduler(options: InlineSchedulerOptions = {}): Scheduler {
  const now = options.now ?? (() => Date.now());
  let slot: ReturnType<typeof setTimeout> | undefined;
  return {
    name: "inline",
    spawn({ jobs, onMessage }): ExecutionContext {
      let alive = true;
      // Deliver on a microtask: a context never calls back into the Manager re-entrantly.
      const send = (message: FromContext) => {
        if (alive) queueMicrotask(() => alive && onMessage(message));
      };
      const executor = createExecutor({ jobs, send });
      return {
        send: (message) => {
          if (alive) executor.receive(message);
        },
        terminate: () => {
          alive = false;
        },
      };
    },
    wakeAt(time, callback) {
      if (slot !== undefined) clearTimeout(slot);
      slot = undefined;
      if (time === null) return;
      // setTimeout holds at most 2^31-1 ms; an early wake-up just re-arms the slot.
      const delay = Math.min(Math.max(0, time - now()), MAX_TIMER_MS);
      slot = setTimeout(() => {
        slot = undefined;
        callback();
      }, delay);
    },
    close() {
      if (slot !== undefined) clearTimeout(slot);
      slot = undefined;
    },
  };
}
