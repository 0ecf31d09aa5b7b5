/** A batch being collected; see {@link tickBatch}. */
export interface TickBatch<T> {
  add(item: T): void;
  /** Drops what was collected and not posted yet (the other side is gone). */
  clear(): void;
}

/**
 * Collects what is sent in one turn of the microtask queue and posts it as one batch: across a
 * thread boundary one `postMessage` per tick, so the hop does not dominate short jobs (a result
 * and its progress, or many results, cross together).
 */
export function tickBatch<T>(post: (batch: T[]) => void): TickBatch<T> {
  let items: T[] = [];
  const flush = () => {
    const batch = items;
    items = [];
    if (batch.length > 0) post(batch);
  };
  return {
    add(item) {
      if (items.push(item) === 1) queueMicrotask(flush);
    },
    clear() {
      items = [];
    },
  };
}
