/** The longest delay `setTimeout` holds (about 24.8 days); a later wake-up re-arms on firing. */
const MAX_DELAY_MS = 2_147_483_647;

/** A Scheduler's single wake-up slot on `setTimeout`: every arm replaces the last. */
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
      const delay = Math.min(Math.max(0, time - now()), MAX_DELAY_MS);
      timer = setTimeout(() => {
        timer = undefined;
        callback();
      }, delay);
    },
    clear,
  };
}
