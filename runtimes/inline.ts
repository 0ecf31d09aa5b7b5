/**
 * A Scheduler that runs handlers in the calling thread, with `setTimeout` as its wake-up slot.
 * Works on every host; CPU-bound handlers block the host while they run.
 * @module
 */
import { createExecutor } from "../src/host/executor.js";
import { timerSlot } from "../src/host/timer-slot.js";
import type { ExecutionContext, FromContext, Scheduler } from "../src/ports.js";

/** Options of {@link inlineScheduler}. */
export interface InlineSchedulerOptions {
  /** Clock used to turn wake-up times into timer delays. Default `Date.now`. */
  now?: () => number;
}

/** Creates a Scheduler that runs each Worker's handlers in this thread. */
export function inlineScheduler(options: InlineSchedulerOptions = {}): Scheduler {
  const slot = timerSlot(options.now);
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
    // The same one-slot timer as the thread schedulers' (a wake-up past what setTimeout holds
    // fires early and is armed again).
    wakeAt: (time, callback) => slot.wakeAt(time, callback),
    close: () => slot.clear(),
  };
}
