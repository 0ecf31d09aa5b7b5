// bun:sqlite storage hears another connection's commits through the file watch, under real Bun:
// driven by test/runtimes/bun.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunSqliteStorage } from "shiftwork/adapters/bun-sqlite";
import { afterAll, describe, it } from "vitest";
import { expectNoticesOfOther } from "../_notices-of-other.js";

const dir = mkdtempSync(join(tmpdir(), "shiftwork-bun-notices-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bun:sqlite change notices", () => {
  it("the file watch tells a subscriber of another handle's commit, the poll an hour away", async () => {
    const path = join(dir, "watch.db");
    await expectNoticesOfOther(
      bunSqliteStorage({ path, changePollInterval: 3_600_000 }),
      bunSqliteStorage({ path }),
    );
  });
});
