import type { Storage } from "shiftwork";
import { newJob, T0 } from "shiftwork/testing";
import { expect } from "vitest";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Two handles on one database file: a subscriber of `a` hears each of `b`'s `commits` enqueues
 * exactly once, and (with `ownFirst`) nothing of `a`'s own enqueue before them, whose writes change
 * the files but not `data_version` as `a` sees it. Migrates both first and closes both after.
 */
export async function expectNoticesOfOther(
  a: Storage,
  b: Storage,
  { commits = 1, ownFirst = true }: { commits?: number; ownFirst?: boolean } = {},
): Promise<void> {
  await a.migrate();
  await b.migrate();
  let heard = 0;
  const unsubscribe = a.subscribe?.(() => heard++);
  if (ownFirst) {
    await a.enqueue([newJob()], T0);
    await sleep(100);
    expect(heard).toBe(0);
  }
  for (let i = 1; i <= commits; i++) {
    await b.enqueue([newJob()], T0);
    for (let j = 0; j < 400 && heard < i; j++) await sleep(5);
    expect(heard).toBe(i);
  }
  unsubscribe?.();
  await a.close?.();
  await b.close?.();
}
