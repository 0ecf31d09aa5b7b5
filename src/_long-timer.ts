/** The longest delay `setTimeout` holds (about 24.8 days): a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A timer that may be longer than `setTimeout` holds. */
export interface LongTimer {
  clear(): void;
}

/**
 * Calls `callback` once `ms` have passed, however long that is: a delay past what `setTimeout`
 * holds is waited out in steps. (A job's `timeout: "30d"`, a stop's, or an abort grace that long
 * would otherwise fire at once.)
 */
export function longTimeout(callback: () => void, ms: number): LongTimer {
  let handle: ReturnType<typeof setTimeout> | undefined;
  const arm = (left: number) => {
    const step = Math.min(left, MAX_TIMER_MS);
    handle = setTimeout(() => (left > step ? arm(left - step) : callback()), step);
  };
  arm(Math.max(0, ms));
  return { clear: () => clearTimeout(handle) };
}
