/**
 * `GET /jobs` over several queue objects: their pages merged newest first, and one cursor that
 * holds where each object's listing stands (`<object>~<seq>,…`; an object missing from it is done).
 * @module
 */
import { ApiError } from "../../src/http/respond.js";
import type { JobPage, JobRecord } from "../../src/ports.js";

/** Where each object's listing stands: `undefined` = from its newest job. */
export type Cursors = Map<string, number | undefined>;

/** The per-object cursors of a `cursor` parameter; without one, every object from the start. */
export function decodeCursor(cursor: string | undefined, objects: readonly string[]): Cursors {
  if (cursor === undefined) return new Map(objects.map((o) => [o, undefined]));
  const cursors: Cursors = new Map();
  for (const part of cursor.split(",")) {
    const [object, seq, ...rest] = part.split("~");
    if (!object || !objects.includes(object) || rest.length > 0 || !/^\d{0,16}$/.test(seq ?? "x")) {
      throw new ApiError(400, "invalid query", [
        { path: "query.cursor", message: "expected a cursor from nextCursor of this listing" },
      ]);
    }
    cursors.set(object, seq ? Number(seq) : undefined);
  }
  return cursors;
}

/** The `cursor` parameter of the next page, or `null` when every object is done. */
export function encodeCursor(cursors: Cursors): string | null {
  if (cursors.size === 0) return null;
  return [...cursors].map(([object, seq]) => `${object}~${seq ?? ""}`).join(",");
}

/**
 * Merges the objects' pages newest first (each already newest first), keeps `limit` jobs, and
 * says where each object stands after them.
 */
export function mergePages(
  pages: { object: string; cursor?: number; page: JobPage }[],
  limit: number,
): { jobs: JobRecord[]; next: Cursors } {
  const heads = pages.map(() => 0);
  const jobs: JobRecord[] = [];
  while (jobs.length < limit) {
    let best = -1;
    for (let i = 0; i < pages.length; i++) {
      const job = pages[i]?.page.jobs[heads[i] as number];
      if (!job) continue;
      const current = best < 0 ? undefined : pages[best]?.page.jobs[heads[best] as number];
      if (!current || job.createdAt > current.createdAt) best = i;
    }
    if (best < 0) break;
    jobs.push(pages[best]?.page.jobs[heads[best] as number] as JobRecord);
    heads[best] = (heads[best] as number) + 1;
  }
  const next: Cursors = new Map();
  pages.forEach(({ object, cursor, page }, i) => {
    const taken = heads[i] as number;
    if (taken < page.jobs.length) {
      // Some of its page is left: go on from its last job taken (or where it stood).
      next.set(object, taken > 0 ? (page.jobs[taken - 1] as JobRecord).seq : cursor);
    } else if (page.nextCursor !== null) {
      next.set(object, page.nextCursor);
    }
  });
  return { jobs, next };
}
