/**
 * Values the Manager built itself from input it already checked (its frozen batches of jobs from
 * `prepareJob`, its claim requests and hand-offs, its batches of results). The storage port checks
 * would repeat that work on every call (about a fifth of an enqueue's CPU, a few microseconds of
 * every claim and result), so they let marked values through. Private to the core: not exported
 * from the package.
 * @module
 */

const trusted = new WeakSet<object>();

/**
 * Marks a value as built by the core from checked input. A marked array vouches for the items it
 * holds when marked: only the Manager marks, and only arrays it built and hands straight to storage.
 */
export function markTrusted<T extends object>(value: T): T {
  trusted.add(value);
  return value;
}

/** Whether the core marked this value. */
export const isTrusted = (value: unknown): boolean =>
  typeof value === "object" && value !== null && trusted.has(value);
