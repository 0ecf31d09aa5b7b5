// Runs under real Bun (`bun test`), driven by test/runtimes/bun.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunSqliteStorage } from "shiftwork/adapters/bun-sqlite";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { memoryStorage } from "shiftwork/adapters/memory";
import { bunWorkerScheduler } from "shiftwork/runtimes/bun";
import { testScheduler, testStorageAdapter } from "shiftwork/testing";

testStorageAdapter({
  name: "memory storage on Bun",
  create: () => memoryStorage(),
  capabilities: { handsOff: true },
});

let dir = "";
let file = "";
testStorageAdapter({
  name: "libsql file on Bun",
  create: () => {
    dir = mkdtempSync(join(tmpdir(), "shiftwork-bun-"));
    file = join(dir, "jobs.db");
    return libsqlStorage({ url: `file:${file}` });
  },
  open: () => libsqlStorage({ url: `file:${file}` }),
  destroy: () => rmSync(dir, { recursive: true, force: true }),
  capabilities: { secondHandle: true, handsOff: true },
});

testScheduler({
  name: "bun worker scheduler",
  create: () => bunWorkerScheduler({ jobs: new URL("../conformance/jobs.ts", import.meta.url) }),
});

testScheduler({
  name: "bun worker scheduler, every context on one worker",
  create: () =>
    bunWorkerScheduler({ jobs: new URL("../conformance/jobs.ts", import.meta.url), threads: 1 }),
});

let bunDir = "";
let bunFile = "";
testStorageAdapter({
  name: "bun:sqlite file",
  create: () => {
    bunDir = mkdtempSync(join(tmpdir(), "shiftwork-bun-sqlite-"));
    bunFile = join(bunDir, "jobs.db");
    return bunSqliteStorage({ path: bunFile });
  },
  open: () => bunSqliteStorage({ path: bunFile }),
  destroy: () => rmSync(bunDir, { recursive: true, force: true }),
  capabilities: { secondHandle: true, handsOff: true },
});
