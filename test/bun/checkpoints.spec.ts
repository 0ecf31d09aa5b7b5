// Bun keeps SQLite's own checkpoints (no background thread there yet), under real Bun: driven by
// test/runtimes/bun.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunSqliteStorage } from "shiftwork/adapters/bun-sqlite";
import { type LibsqlStorage, libsqlStorage } from "shiftwork/adapters/libsql";
import { afterAll, describe, expect, it } from "vitest";
import { _checkpointThread } from "../../adapters/_checkpointer.js";

const dir = mkdtempSync(join(tmpdir(), "shiftwork-bun-checkpoints-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function autocheckpoint(storage: LibsqlStorage): Promise<number> {
  const rows = await storage.getInstance()?.transaction("read", function* () {
    return (yield { sql: "PRAGMA wal_autocheckpoint", args: [] }).rows;
  });
  return Number(rows?.[0]?.wal_autocheckpoint);
}

describe("checkpoints on Bun", () => {
  it("bun:sqlite and the libsql binding keep SQLite's automatic checkpoint, with no thread", async () => {
    const storages = [
      bunSqliteStorage({ path: join(dir, "bun.db") }),
      libsqlStorage({ url: `file:${join(dir, "libsql.db")}` }),
    ];
    for (const storage of storages) {
      await storage.migrate();
      expect(await autocheckpoint(storage)).toBe(1000);
    }
    expect(_checkpointThread()).toBeUndefined();
    for (const storage of storages) await storage.close?.();
  });
});
