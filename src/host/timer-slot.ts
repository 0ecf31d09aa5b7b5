import { MAX_TIMER_MS } from "../_long-timer.js";

/**
 * A Scheduler's single wake-up slot on `setTimeout`: every arm replaces the last. A wake-up past
 * what `setTimeout` holds fires early, and the pump it wakes arms the slot again.
 */
export interface TimerSlot {
  wakeAt(time: number | null, callback: () => void): void;
  clear(): void;
}

/** Creates a wake-up slot. `now` turns wake-up times into delays (default `Date.now`). */
export function timerSlot(now: () => number = () => Date.now()): TimerSlot {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const clear = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    wakeAt(time, callback) {
      clear();
      if (time === null) return;
      const delay = Math.min(Math.max(0, time - now()), MAX_TIMER_MS);
      timer = setTimeout(() => {
        timer = undefined;
        callback();
      }, delay);
    },
    clear,
  };
}
