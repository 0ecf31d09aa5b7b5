import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { testStorageAdapter } from "shiftwork/testing";

let dir = "";
const freshFile = () => {
  dir = mkdtempSync(join(tmpdir(), "shiftwork-libsql-"));
  return join(dir, "jobs.db");
};
let file = "";
const destroy = () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
};

testStorageAdapter({
  name: "libsql file (sync binding)",
  create: () => {
    file = freshFile();
    return libsqlStorage({ url: `file:${file}` });
  },
  open: () => libsqlStorage({ url: `file:${file}` }),
  destroy,
  capabilities: { secondHandle: true, handsOff: true },
});

testStorageAdapter({
  name: "libsql :memory: (sync binding)",
  create: () => libsqlStorage({ url: ":memory:" }),
  capabilities: { handsOff: true },
});

// No second handle here: two async clients in one process deadlock on the file lock (a write
// transaction spans awaits while the other waits synchronously in native code). Across processes
// the busy timeout serialises them; in one process, one Storage serialises its own transactions.
testStorageAdapter({
  name: "libsql file (@libsql/client)",
  create: () =>
    libsqlStorage({ client: createClient({ url: `file:${freshFile()}`, timeout: 5000 }) }),
  destroy,
  capabilities: { handsOff: true },
});

testStorageAdapter({
  name: "libsql :memory: (@libsql/client)",
  create: () => libsqlStorage({ client: createClient({ url: ":memory:" }) }),
  capabilities: { handsOff: true },
});
