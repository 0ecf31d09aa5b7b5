// bun:sqlite storage hears another connection's commits through the file watch, under real Bun:
// driven by test/runtimes/bun.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunSqliteStorage } from "shiftwork/adapters/bun-sqlite";
import { newJob, T0 } from "shiftwork/testing";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "shiftwork-bun-notices-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bun:sqlite change notices", () => {
  it("the file watch tells a subscriber of another handle's commit, the poll an hour away", async () => {
    const path = join(dir, "watch.db");
    const a = bunSqliteStorage({ path, changePollInterval: 3_600_000 });
    const b = bunSqliteStorage({ path });
    await a.migrate();
    await b.migrate();
    let heard = 0;
    const unsubscribe = a.subscribe?.(() => heard++);
    await a.enqueue([newJob()], T0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard).toBe(0);
    await b.enqueue([newJob()], T0);
    for (let i = 0; i < 400 && heard === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(heard).toBe(1);
    unsubscribe?.();
    await a.close?.();
    await b.close?.();
  });
});
