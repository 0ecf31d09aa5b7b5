import type { Scheduler } from "../../src/ports.js";
import { inlineScheduler } from "../inline.js";
import { fanOutContext, type RunnerBinding } from "./fan-out.js";

/**
 * The part of a Durable Object's storage this scheduler uses: its one alarm. Declared here rather
 * than imported, so the published types fit the real `@cloudflare/workers-types` too.
 */
export interface DurableObjectAlarms {
  setAlarm(time: number | Date): Promise<void>;
  deleteAlarm(): Promise<void>;
  getAlarm(): Promise<number | null>;
}

/** A Scheduler whose wake-up slot is a Durable Object's single alarm; handlers run inline. */
export interface AlarmScheduler extends Scheduler {
  /** Call from the object's `alarm()`: runs what the last `wakeAt` asked for. */
  fire(): void;
}

/**
 * Runs handlers inline in the object (up to the Manager's workers), or through `runner` in stateless
 * Worker invocations, and keeps one alarm armed for the earliest thing the Manager waits for. An
 * alarm is never set in the past: it is clamped to now.
 */
export function alarmScheduler(
  storage: DurableObjectAlarms,
  now: () => number = Date.now,
  runner?: RunnerBinding,
): AlarmScheduler {
  const inline = inlineScheduler({ now });
  let callback: (() => void) | undefined;
  return {
    name: "durable-object-alarm",
    // With a runner, each job runs in its own stateless Worker invocation instead of in the object.
    spawn: (options) => (runner ? fanOutContext(runner, options) : inline.spawn(options)),
    wakeAt(time, next) {
      callback = next;
      // The alarm outlives the object: after an eviction or reset, it wakes the object up again.
      // A failure here means the object is being reset; the alarm already set still stands.
      (time === null ? storage.deleteAlarm() : storage.setAlarm(Math.max(time, now()))).catch(
        () => {},
      );
    },
    fire() {
      callback?.();
    },
  };
}
