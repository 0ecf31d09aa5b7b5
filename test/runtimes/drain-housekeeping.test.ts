// A drain through shared threads asks storage only for claims and results: no rescue sweep or
// wake-up query per batch (each wrongly assumed the due jobs it saw were left unclaimed).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManager } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { nodeThreadScheduler } from "shiftwork/runtimes/node";
import { afterAll, expect, it } from "vitest";
import { countCalls } from "../_count-calls.js";
import { sourceExecArgv } from "./_node.js";
import * as jobs from "./fixtures/shared-jobs.js";

const dir = mkdtempSync(join(tmpdir(), "shiftwork-drain-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("2,000 jobs through 8 Workers on 2 threads: one rescue sweep, a handful of wake-up queries", async () => {
  const inner = libsqlStorage({ url: `file:${join(dir, "drain.db")}` });
  const { storage, calls } = countCalls(inner);
  const manager = createManager({
    storage,
    scheduler: nodeThreadScheduler({
      jobs: new URL("./fixtures/shared-jobs.ts", import.meta.url),
      execArgv: sourceExecArgv,
      threads: 2,
    }),
    jobs,
    workers: { count: 8 },
  });
  await manager.start();
  await manager.pause();
  const N = 2000;
  await manager.enqueueMany(Array.from({ length: N }, (_, n) => ({ name: "count", input: { n } })));
  let done = 0;
  const finished = new Promise<void>((resolve) =>
    manager.addEventListener("completed", () => {
      if (++done === N) resolve();
    }),
  );
  calls.clear();
  const started = Date.now();
  await manager.resume();
  await finished;
  const elapsed = Date.now() - started;
  await manager.stop();
  await inner.close?.();
  expect(done).toBe(N);
  // One sweep at the start, then one per default rescue interval (5 s), however slow the machine.
  expect(calls.get("rescueExpired") ?? 0).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 5000));
  expect(calls.get("nextWakeAt") ?? 0).toBeLessThanOrEqual(10);
}, 60_000);
