import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { endianness, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import {
  type LibsqlStorage,
  type LibsqlStorageOptions,
  libsqlStorage,
} from "shiftwork/adapters/libsql";
import { newJob, T0 } from "shiftwork/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { _checkpointThread, SAFETY_NET_PAGES } from "../../adapters/_checkpointer.js";
import { startScript } from "../multiprocess/_spawn.js";

let dir = "";
let opened: LibsqlStorage[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "shiftwork-checkpoints-"));
});
afterEach(async () => {
  // A failed test's storages would keep the shared thread running into the next test.
  for (const storage of opened) await storage.close?.();
  opened = [];
  rmSync(dir, { recursive: true, force: true });
});

/** A storage closed after the test, if the test did not. */
function open(options: LibsqlStorageOptions): LibsqlStorage {
  const storage = libsqlStorage(options);
  opened.push(storage);
  return storage;
}

/** The storage's own connection's automatic checkpoint, in pages. */
async function autocheckpoint(storage: LibsqlStorage): Promise<number> {
  const rows = await storage.getInstance()?.transaction("read", function* () {
    return (yield { sql: "PRAGMA wal_autocheckpoint", args: [] }).rows;
  });
  return Number(rows?.[0]?.wal_autocheckpoint);
}

/**
 * The WAL's last frame and how many frames are already copied into the database file, read from
 * the shared-memory index (sqlite.org/walformat.html: `mxFrame` at byte 16 of the header,
 * `nBackfill` at byte 96, native byte order). Reading it checkpoints nothing, unlike asking a
 * connection to checkpoint and looking at its answer.
 */
function walIndex(file: string): { frames: number; backfilled: number } {
  const shm = readFileSync(`${file}-shm`);
  const read = (at: number) =>
    endianness() === "LE" ? shm.readUInt32LE(at) : shm.readUInt32BE(at);
  return { frames: read(16), backfilled: read(96) };
}

/** Polls `condition` every 20 ms until it holds; fails after `ms`. */
async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("libsql background checkpoints", () => {
  it("a burst of writes is checkpointed by the thread, not by the storage's connection", async () => {
    const file = join(dir, "burst.db");
    const storage = open({ url: `file:${file}` });
    await storage.migrate();
    expect(await autocheckpoint(storage)).toBe(SAFETY_NET_PAGES);
    // One commit (a later one could restart the WAL once the thread caught up), below SQLite's
    // default of 1000 pages: the storage's connection checkpoints nothing, whatever its setting.
    await storage.enqueue(
      Array.from({ length: 500 }, () => newJob()),
      T0,
    );
    const { frames } = walIndex(file);
    expect(frames).toBeGreaterThan(10);
    expect(frames).toBeLessThan(1000);
    await until(() => walIndex(file).backfilled === frames, "every frame is backfilled");
    expect(walIndex(file).frames).toBe(frames);
    await storage.close?.();
  });

  it("two storages on two files share one thread, which stops when both are closed", async () => {
    expect(_checkpointThread()).toBeUndefined();
    const a = open({ url: `file:${join(dir, "a.db")}` });
    const b = open({ url: `file:${join(dir, "b.db")}` });
    await a.migrate();
    const thread = _checkpointThread();
    await b.migrate();
    expect(_checkpointThread()?.files.sort()).toEqual([join(dir, "a.db"), join(dir, "b.db")]);
    expect(thread?.running()).toBe(true);

    await a.close?.();
    expect(_checkpointThread()?.files).toEqual([join(dir, "b.db")]);
    expect(thread?.running()).toBe(true);
    await b.close?.();
    expect(_checkpointThread()).toBeUndefined();
    expect(thread?.running()).toBe(false);
  });

  it('checkpoints: "inline" keeps SQLite\'s default and starts no thread', async () => {
    const storage = open({ url: `file:${join(dir, "inline.db")}`, checkpoints: "inline" });
    await storage.migrate();
    expect(await autocheckpoint(storage)).toBe(1000);
    expect(_checkpointThread()).toBeUndefined();
    await storage.close?.();
  });

  it("an injected database gets the thread only with its path", async () => {
    const file = join(dir, "injected.db");
    const withPath = open({ database: new Database(file), path: file });
    const without = open({ database: new Database(join(dir, "other.db")) });
    await withPath.migrate();
    await without.migrate();
    expect(await autocheckpoint(withPath)).toBe(SAFETY_NET_PAGES);
    expect(await autocheckpoint(without)).toBe(1000);
    expect(_checkpointThread()?.files).toEqual([file]);
    await withPath.close?.();
    await without.close?.();
  });

  it("a file the thread cannot open gives the connection its own checkpoints back", async () => {
    // An in-memory connection named after a file that does not exist: the thread refuses to
    // create it.
    const storage = open({ database: new Database(":memory:"), path: join(dir, "gone.db") });
    await storage.migrate();
    await until(() => {
      const rows = storage.getInstance()?.transaction("read", function* () {
        return (yield { sql: "PRAGMA wal_autocheckpoint", args: [] }).rows;
      }) as { wal_autocheckpoint: number }[] | undefined;
      return rows?.[0]?.wal_autocheckpoint === 1000;
    }, "the automatic checkpoint is back to 1000");
    await storage.close?.();
  });

  it('rejects an unknown "checkpoints" option', () => {
    expect(() => libsqlStorage({ url: ":memory:", checkpoints: "sometimes" as "inline" })).toThrow(
      /options\.checkpoints/,
    );
  });

  for (const close of [true, false]) {
    it(`a process whose storage is ${close ? "closed" : "left open"} while the thread runs exits by itself`, async () => {
      const script = new URL("./_checkpoint-exit.ts", import.meta.url).pathname;
      const { child, exited } = startScript(script, [join(dir, "exit.db"), String(close)]);
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      expect(code).toBe(0);
    });
  }
});
