import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import Database from "libsql";
import type { Json, NewJob, Storage } from "shiftwork";
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { newJob, T0 } from "shiftwork/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runVerbSync, type Verb } from "../../adapters/_sql/driver.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../../adapters/_sql/schema.js";
import { plainIds } from "../../adapters/_sql/storage.js";
import { sqlVerbs } from "../../adapters/_sql/verbs.js";
import { expectNoticesOfOther } from "../_notices-of-other.js";
import { dumpSchema } from "./_schema-dump.js";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "shiftwork-libsql-extra-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("libsql schema", () => {
  it("the committed schema dump matches the migrations (npm run schema:dump)", async () => {
    const committed = readFileSync(
      new URL("../../adapters/_sql/schema.sql", import.meta.url),
      "utf8",
    );
    expect(await dumpSchema()).toBe(committed);
  });

  it("migrate is idempotent and records the version", async () => {
    const file = join(dir, "a.db");
    for (let i = 0; i < 3; i++) {
      const storage = libsqlStorage({ url: `file:${file}` });
      await storage.migrate();
      await storage.close?.();
    }
    const db = new Database(file);
    expect(db.prepare("SELECT value FROM shiftwork_meta").all([])).toMatchObject([
      { value: String(SCHEMA_VERSION) },
    ]);
    expect(db.prepare("PRAGMA journal_mode").all([])).toMatchObject([{ journal_mode: "wal" }]);
    db.close();
  });
});

/** A database file as schema `version` made it (its migrations, then its version row). */
function schemaDatabase(file: string, version: number): Database.Database {
  const db = new Database(file);
  db.exec("CREATE TABLE shiftwork_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  for (const migration of MIGRATIONS.slice(0, version)) {
    for (const statement of migration) db.exec(statement);
  }
  db.exec(`INSERT INTO shiftwork_meta VALUES ('schema_version', '${version}')`);
  return db;
}

/** The names of a database file's own indexes. */
function indexesOf(file: string): string[] {
  const db = new Database(file);
  const rows = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    )
    .all([]) as { name: string }[];
  db.close();
  return rows.map((r) => r.name);
}

const CURRENT_INDEXES = [
  "shiftwork_jobs_delayed",
  "shiftwork_jobs_finished",
  "shiftwork_jobs_key",
  "shiftwork_jobs_leases",
  "shiftwork_jobs_ready_by_name",
];
/** The indexes once a queue group has claimed, woken or handed off (see `QUEUE_READY_INDEX`). */
const QUEUE_GROUP_INDEXES = [...CURRENT_INDEXES, "shiftwork_jobs_ready_by_queue"];

describe("libsql schema upgrade", () => {
  it("a version 1 file keeps its jobs, ids and indexes, and numbers new jobs after them", async () => {
    const file = join(dir, "v1.db");
    const db = schemaDatabase(file, 1);
    const insert = db.prepare(
      `INSERT INTO shiftwork_jobs (seq, name, queue, input, state, priority, run_at, max_attempts,
         key, created_at, updated_at) VALUES (?, 'a', 'default', '{"n":1}', 'waiting', 0, 1, 3, ?, 1, 1)`,
    );
    insert.run([7, "k"]);
    db.close();

    const storage = libsqlStorage({ url: `file:${file}` });
    await storage.migrate();
    expect(await storage.get("7")).toMatchObject({ name: "a", input: { n: 1 }, key: "k" });
    const [again] = await storage.enqueue([{ ...newJob(), key: "k" }], T0);
    expect(again).toMatchObject({ created: false, job: { id: "7" } });
    const [fresh] = await storage.enqueue([newJob()], T0);
    expect(fresh?.job.id).toBe("8");
    await storage.close?.();

    const upgraded = new Database(file);
    const version = upgraded.prepare("SELECT value FROM shiftwork_meta").all([]);
    upgraded.close();
    expect(version).toEqual([{ value: String(SCHEMA_VERSION) }]);
    expect(indexesOf(file)).toEqual(CURRENT_INDEXES);
  });

  it("a version 2 file gets the ready index by name, the one by queue at a queue group's first query, and claims its ready jobs through them in order", async () => {
    const file = join(dir, "v2.db");
    const db = schemaDatabase(file, 2);
    const insert = db.prepare(
      `INSERT INTO shiftwork_jobs (seq, name, queue, input, state, priority, run_at, max_attempts,
         created_at, updated_at) VALUES (?, ?, ?, '{}', ?, ?, ?, 3, 1, 1)`,
    );
    insert.run([1, "a", "q1", "waiting", 0, T0 - 1000]);
    insert.run([2, "a", "q2", "waiting", 0, T0 - 2000]);
    insert.run([3, "b", "q1", "waiting", -1, T0]);
    insert.run([4, "a", "q1", "delayed", 0, T0 + 5000]);
    insert.run([5, "b", "q2", "waiting", 0, T0 - 3000]);
    db.close();
    expect(indexesOf(file)).toContain("shiftwork_jobs_ready");

    const storage = libsqlStorage({ url: `file:${file}` });
    await storage.migrate();
    expect(indexesOf(file)).toEqual(CURRENT_INDEXES);
    expect(await storage.nextWakeAt({ names: ["a"] })).toBe(T0 - 2000);
    expect(indexesOf(file)).toEqual(CURRENT_INDEXES);
    expect(await storage.nextWakeAt({ queues: ["q1"], names: ["a", "b"] })).toBe(T0 - 1000);
    expect(indexesOf(file)).toEqual(QUEUE_GROUP_INDEXES);
    const claim = (filter: object) =>
      storage.claim({ limit: 5, leaseMs: 1000, now: T0, ...filter });
    expect((await claim({ names: ["a"] })).map((j) => j.id)).toEqual(["2", "1"]);
    expect((await claim({ queues: ["q1"], names: ["a", "b"] })).map((j) => j.id)).toEqual(["3"]);
    expect((await claim({ names: ["a"], now: T0 + 5000 })).map((j) => j.id)).toEqual(["4"]);
    expect((await claim({})).map((j) => j.id)).toEqual(["5"]);
    await storage.close?.();
  });

  it("a version 3 file keeps every job's attempts, the last one in its own columns from then on", async () => {
    const file = join(dir, "v3.db");
    const db = schemaDatabase(file, 3);
    const insert = db.prepare(
      `INSERT INTO shiftwork_jobs (seq, name, queue, input, state, priority, run_at, attempt,
         max_attempts, lease_token, lease_expires_at, attempts, created_at, updated_at)
       VALUES (?, 'a', 'default', '{}', ?, 0, 1, ?, 3, ?, ?, ?, 1, 1)`,
    );
    const error = { name: "E", message: "x", stack: "E: x\n    at a" };
    const done = [
      { attempt: 1, startedAt: T0 + 0.25, endedAt: T0 + 1.123456789, outcome: "retry", error },
      { attempt: 2, startedAt: T0 + 2, endedAt: T0 + 3, outcome: "completed", error: null },
    ];
    const running = [{ attempt: 1, startedAt: T0, endedAt: null, outcome: null, error: null }];
    insert.run([1, "completed", 2, null, null, JSON.stringify(done)]);
    insert.run([2, "active", 1, "t", T0 + 1000, JSON.stringify(running)]);
    insert.run([3, "waiting", 0, null, null, "[]"]);
    db.close();

    const storage = libsqlStorage({ url: `file:${file}` });
    await storage.migrate();
    expect((await storage.get("1"))?.attempts).toEqual(done);
    expect((await storage.get("2"))?.attempts).toEqual(running);
    expect((await storage.get("3"))?.attempts).toEqual([]);
    const upgraded = new Database(file);
    const columns = upgraded
      .prepare(
        "SELECT seq, json_array_length(earlier_attempts) AS n, last_attempt FROM shiftwork_jobs",
      )
      .all([]);
    // A process of the older version still running on the file fails its next claim or result
    // rather than write attempts where this version no longer reads them.
    expect(() =>
      upgraded.prepare("UPDATE shiftwork_jobs SET attempts = json_insert(attempts, '$[#]', 1)"),
    ).toThrow(/no such column: attempts/);
    upgraded.close();
    expect(columns).toEqual([
      { seq: 1, n: 1, last_attempt: 2 },
      { seq: 2, n: 0, last_attempt: 1 },
      { seq: 3, n: 0, last_attempt: null },
    ]);
    // The running attempt ends in its columns; a new one starts there.
    const result = { id: "2", token: "t", kind: "completed" as const, output: null };
    expect(await storage.record([result], T0 + 10)).toEqual([true]);
    expect((await storage.get("2"))?.attempts).toEqual([
      { attempt: 1, startedAt: T0, endedAt: T0 + 10, outcome: "completed", error: null },
    ]);
    const [claimed] = await storage.claim({ limit: 1, leaseMs: 1000, now: T0 + 20 });
    expect(claimed?.attempts).toEqual([
      { attempt: 1, startedAt: T0 + 20, endedAt: null, outcome: null, error: null },
    ]);
    await storage.close?.();
  });

  it("ids pruned from the top before the upgrade are not handed out again", async () => {
    const file = join(dir, "v1-pruned.db");
    const db = schemaDatabase(file, 1);
    const insert = db.prepare(
      `INSERT INTO shiftwork_jobs (name, queue, input, state, priority, run_at, max_attempts,
         created_at, updated_at, finished_at) VALUES ('a', 'default', '{}', 'completed', 0, 1, 3, 1, 1, 1)`,
    );
    for (let i = 0; i < 3; i++) insert.run([]);
    db.exec("DELETE FROM shiftwork_jobs WHERE seq >= 2"); // what schema 1's prune could do
    db.close();

    const storage = libsqlStorage({ url: `file:${file}` });
    await storage.migrate();
    const [fresh] = await storage.enqueue([newJob()], T0);
    expect(fresh?.job.id).toBe("4");
    // The placeholder is a finished job, pruned once it is no longer the newest.
    expect(await storage.prune({ before: T0, states: ["cancelled"] })).toBe(1);
    expect(await storage.get("3")).toBeNull();
    await storage.close?.();
  });
});

describe("libsql ready index by queue, made on demand", () => {
  /** A storage over `file` whose connection counts the statements that make an index. */
  function counted(file: string) {
    const db = new Database(file);
    let made = 0;
    const database = {
      prepare(sql: string) {
        const statement = db.prepare(sql);
        if (!sql.startsWith("CREATE INDEX IF NOT EXISTS")) return statement;
        return new Proxy(statement, {
          get(target, key) {
            const value = Reflect.get(target, key);
            if (key !== "run") return typeof value === "function" ? value.bind(target) : value;
            return (args: unknown[]) => {
              made++;
              return target.run(args);
            };
          },
        });
      },
      exec: (sql: string) => db.exec(sql),
      close: () => db.close(),
    };
    return { storage: libsqlStorage({ database, path: file }), made: () => made };
  }
  const byQueue = { queues: ["default"], names: [newJob().name] };

  it("a database claimed, woken and enqueued by job name alone never gets it", async () => {
    const file = join(dir, "by-name.db");
    const { storage, made } = counted(file);
    await storage.migrate();
    const filter = { names: [newJob().name] };
    await storage.enqueue([newJob(), newJob()], T0);
    expect(await storage.nextWakeAt(filter)).toBe(T0);
    expect(await storage.claim({ ...filter, limit: 1, leaseMs: 1000, now: T0 })).toHaveLength(1);
    await storage.enqueue([newJob()], T0, { ...filter, leaseMs: 1000 });
    await storage.close?.();
    expect({ made: made(), indexes: indexesOf(file) }).toEqual({
      made: 0,
      indexes: CURRENT_INDEXES,
    });
  });

  it.each([
    ["a claim", (s: Storage) => s.claim({ ...byQueue, limit: 5, leaseMs: 1000, now: T0 })],
    ["a wake-up", (s: Storage) => s.nextWakeAt(byQueue)],
    ["a hand-off", (s: Storage) => s.enqueue([newJob()], T0, { ...byQueue, leaseMs: 1000 })],
    [
      "a claim with results",
      (s: Storage) =>
        s.recordAndClaim?.([], [{ ...byQueue, limit: 5, leaseMs: 1000, now: T0 }], T0),
    ],
  ])("a queue group's first query, %s, makes it once, and the walk uses it", async (_, first) => {
    const file = join(dir, "by-queue.db");
    const { storage, made } = counted(file);
    await storage.migrate();
    await storage.enqueue([newJob({ runAt: T0 - 1 }), newJob()], T0);
    await first(storage);
    expect(indexesOf(file)).toEqual(QUEUE_GROUP_INDEXES);
    await storage.claim({ ...byQueue, limit: 5, leaseMs: 1000, now: T0 });
    await storage.nextWakeAt(byQueue);
    await storage.close?.();
    expect(made()).toBe(1);
  });

  it("a hand-off asked before it exists makes it in the hand-off's own transaction, in its place among the calls", async () => {
    const file = join(dir, "hand-off-first.db");
    // The async client engine, which queues calls: the hand-off keeps its place.
    const storage = libsqlStorage({
      client: createClient({ url: `file:${file}` }),
      checkpoints: "inline",
    });
    await storage.migrate();
    const first = storage.enqueue([newJob()], T0, { ...byQueue, leaseMs: 1000 });
    const second = storage.enqueue([newJob()], T0);
    const [[handed], [plain]] = await Promise.all([first, second]);
    expect(handed).toMatchObject({ created: true, claimed: { id: "1", state: "active" } });
    expect(plain?.job).toMatchObject({ id: "2", state: "waiting" });
    expect(indexesOf(file)).toEqual(QUEUE_GROUP_INDEXES);
    await storage.close?.();
  });

  it("another handle's queue group makes it under a handle that claims by name, which goes on", async () => {
    const file = join(dir, "two-handles.db");
    const byName = libsqlStorage({ url: `file:${file}` });
    const other = libsqlStorage({ url: `file:${file}` });
    await byName.migrate();
    await other.migrate();
    const filter = { names: [newJob().name], limit: 1, leaseMs: 1000, now: T0 };
    await byName.enqueue([newJob(), newJob(), newJob()], T0);
    expect(await byName.claim(filter)).toHaveLength(1);
    expect(await other.claim({ ...byQueue, limit: 1, leaseMs: 1000, now: T0 })).toHaveLength(1);
    expect(indexesOf(file)).toEqual(QUEUE_GROUP_INDEXES);
    expect(await byName.claim(filter)).toHaveLength(1);
    const [more] = await byName.enqueue([newJob()], T0);
    expect(more?.created).toBe(true);
    expect((await byName.claim({ ...byQueue, limit: 5, leaseMs: 1000, now: T0 })).length).toBe(1);
    await byName.close?.();
    await other.close?.();
  });
});

describe("libsql completions written in one statement", () => {
  /** A storage over `file` whose connection counts the statements whose SQL matches `pattern`. */
  function countingStorage(file: string, pattern: RegExp) {
    const db = new Database(file);
    let seen = 0;
    const database = {
      prepare(sql: string) {
        const statement = db.prepare(sql);
        if (!pattern.test(sql)) return statement;
        return new Proxy(statement, {
          get(target, key) {
            const value = Reflect.get(target, key);
            if (key !== "all" && key !== "run") {
              return typeof value === "function" ? value.bind(target) : value;
            }
            return (args: unknown[]) => {
              seen++;
              return (value as (a: unknown[]) => unknown).call(target, args);
            };
          },
        });
      },
      exec: (sql: string) => db.exec(sql),
      close: () => db.close(),
    };
    return { storage: libsqlStorage({ database, path: file }), seen: () => seen };
  }
  const returning = /RETURNING shiftwork_jobs\.seq/;
  const done = (job: { id: string; leaseToken: string } | undefined, output: Json) => ({
    id: job?.id as string,
    token: job?.leaseToken as string,
    kind: "completed" as const,
    output,
  });

  it("read back no rows when every token holds its job", async () => {
    const { storage, seen } = countingStorage(join(dir, "fast.db"), returning);
    await storage.migrate();
    await storage.enqueue([newJob(), newJob(), newJob()], T0);
    const jobs = await storage.claim({ limit: 3, leaseMs: 1000, now: T0 });
    expect(
      await storage.record(
        jobs.map((j, i) => done(j, i)),
        T0 + 1,
      ),
    ).toEqual([true, true, true]);
    expect(seen()).toBe(0);
    expect((await storage.stats(T0 + 1))[0]).toMatchObject({ completed: 3, active: 0 });
    await storage.close?.();
  });

  it("a refused token in the batch undoes the write and writes it again exactly, its claims once", async () => {
    const file = join(dir, "refused.db");
    const { storage, seen } = countingStorage(file, returning);
    await storage.migrate();
    const filter = { names: [newJob().name], leaseMs: 1000, now: T0 };
    await storage.enqueue([newJob(), newJob(), newJob(), newJob(), newJob()], T0);
    const [a, b, c] = await storage.claim({ ...filter, limit: 3 });
    const answer = await storage.recordAndClaim?.(
      [done(a, "A"), { ...done(b, "B"), token: "stale" }, done(c, "C")],
      [{ ...filter, limit: 5 }],
      T0 + 1,
    );
    expect(answer?.written).toEqual([true, false, true]);
    expect(seen()).toBe(1);
    // Claimed once: the two jobs left waiting, each under one lease of the exact write's claim.
    const claimed = answer?.claimed[0] ?? [];
    expect(claimed).toHaveLength(2);
    expect((await storage.stats(T0 + 1))[0]).toMatchObject({ waiting: 0, active: 3, completed: 2 });
    for (const job of claimed) {
      expect(await storage.get(job.id)).toMatchObject({ leaseToken: job.leaseToken, attempt: 1 });
    }
    expect(await storage.get(a?.id as string)).toMatchObject({ state: "completed", output: "A" });
    expect(await storage.get(b?.id as string)).toMatchObject({ state: "active", output: null });
    await storage.close?.();
  });
});

describe("libsql completions on the async client", () => {
  it("a batch written again after a refused token keeps its place: a read asked after it sees it", async () => {
    const storage = libsqlStorage({
      client: createClient({ url: `file:${join(dir, "client-order.db")}` }),
      checkpoints: "inline",
    });
    await storage.migrate();
    await storage.enqueue([newJob(), newJob()], T0);
    const [x, y] = await storage.claim({ limit: 2, leaseMs: 1000, now: T0 });
    const lease = (job: typeof x) => ({ id: job?.id as string, token: job?.leaseToken as string });
    const written = storage.record(
      [
        { ...lease(x), kind: "completed", output: 1 },
        { ...lease(y), token: "stale", kind: "completed", output: 2 },
      ],
      T0 + 1,
    );
    // Asked before the record settles: it must come after the whole record, its second try too.
    const read = storage.get(x?.id as string);
    expect(await written).toEqual([true, false]);
    expect(await read).toMatchObject({ state: "completed", output: 1 });
    await storage.close?.();
  });
});

describe("libsql after another connection's lock refused a lone write", () => {
  it("a one-job enqueue and a hand-off refused as locked leave the connection working, nothing stored", async () => {
    const file = join(dir, "locked.db");
    const storage = libsqlStorage({ url: `file:${file}`, busyTimeout: 50, checkpoints: "inline" });
    await storage.migrate();
    const name = newJob().name;
    await storage.enqueue([newJob()], T0);
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE");
    other.exec("INSERT INTO shiftwork_meta VALUES ('held by', 'another connection')");
    const refused = (call: () => unknown) =>
      expect(Promise.resolve().then(call)).rejects.toThrow(/locked/);
    // Each one INSERT outside a transaction (the binding leaves such a write active when it fails).
    await refused(() => storage.enqueue([newJob()], T0));
    await refused(() => storage.enqueue([newJob()], T0, { names: [name], leaseMs: 1000 }));
    other.exec("ROLLBACK");
    other.close();
    // Every later call works: before, each failed with "SQL statements in progress".
    expect(await storage.stats(T0)).toMatchObject([{ waiting: 1 }]);
    const claimed = await storage.claim({ names: [name], limit: 5, leaseMs: 1000, now: T0 });
    expect(claimed).toHaveLength(1);
    const [job] = claimed;
    const result = { id: job?.id as string, token: job?.leaseToken as string };
    expect(await storage.record([{ ...result, kind: "completed", output: null }], T0)).toEqual([
      true,
    ]);
    const [later] = await storage.enqueue([newJob()], T0);
    expect(later?.created).toBe(true);
    expect(await storage.stats(T0)).toMatchObject([{ waiting: 1, completed: 1 }]);
    await storage.close?.();
  });
});

describe("libsql injected database", () => {
  it("a binding that reports no rowid still enqueues one job exactly once", async () => {
    const db = new Database(":memory:");
    // better-sqlite3-like, minus `lastInsertRowid` and `raw`: the storage asks SQLite instead.
    const bare = {
      prepare(sql: string) {
        const statement = db.prepare(sql);
        return {
          reader: statement.reader,
          all: (args: unknown[]) => statement.all(args),
          run: (args: unknown[]) => ({ changes: statement.run(args).changes }),
        };
      },
      exec: (sql: string) => db.exec(sql),
      close: () => db.close(),
    };
    const storage = libsqlStorage({ database: bare });
    await storage.migrate();
    const [first] = await storage.enqueue([newJob()], T0);
    const [second] = await storage.enqueue([newJob()], T0);
    expect([first?.created, second?.created]).toEqual([true, true]);
    expect(Number(second?.job.id)).toBe(Number(first?.job.id) + 1);
    expect(db.prepare("SELECT count(*) AS n FROM shiftwork_jobs").get([])).toMatchObject({ n: 2 });
    await storage.close?.();
  });
});

describe("libsql durability", () => {
  for (const [durability, level] of [
    ["normal", 1],
    ["full", 2],
  ] as const) {
    it(`durability "${durability}" opens the file in WAL with synchronous=${level}`, async () => {
      const storage = libsqlStorage({ url: `file:${join(dir, `${durability}.db`)}`, durability });
      await storage.migrate();
      const pragmas = await storage.getInstance()?.transaction("read", function* () {
        const sync = yield { sql: "PRAGMA synchronous", args: [] };
        const journal = yield { sql: "PRAGMA journal_mode", args: [] };
        const busy = yield { sql: "PRAGMA busy_timeout", args: [] };
        return { ...sync.rows[0], ...journal.rows[0], ...busy.rows[0] };
      });
      expect(pragmas).toMatchObject({ synchronous: level, journal_mode: "wal", timeout: 5000 });
      await storage.close?.();
    });
  }
});

describe("libsql options", () => {
  it.each([
    ["file:x.db?mode=ro", "?mode=ro"],
    ["file:///tmp/x.db?mode=ro&cache=shared", "?mode=ro&cache=shared"],
    ["file::memory:?cache=shared", "?cache=shared"],
  ])("a local url with a query (%s) is refused, naming the field and the query", (url, query) => {
    expect(() => libsqlStorage({ url })).toThrow(
      `[shiftwork] [libsql] options.url: a local file takes no query parameters (got "${query}")`,
    );
  });

  it("a read-only mode asked in the url never opens the file read-write", async () => {
    const file = join(dir, "asked-ro.db");
    const opened = Promise.resolve().then(() =>
      libsqlStorage({ url: `file:${file}?mode=ro` }).migrate(),
    );
    await expect(opened).rejects.toThrow(/options\.url/);
    expect(existsSync(file)).toBe(false);
  });

  it("durability and checkpoints name the option and the values it takes", () => {
    const url = `file:${join(dir, "opts.db")}`;
    expect(() => libsqlStorage({ url, durability: "fast" as "full" })).toThrow(
      '[shiftwork] [libsql] options.durability: expected "normal" or "full"',
    );
    expect(() => libsqlStorage({ url, checkpoints: "never" as "inline" })).toThrow(
      '[shiftwork] [libsql] options.checkpoints: expected "background" or "inline"',
    );
    expect(() => libsqlStorage({} as { url: string })).toThrow(
      /give one of url, client or database/,
    );
  });
});

describe("libsql start-up errors", () => {
  it("a storage used before it is opened says to start the Manager first", async () => {
    const storage = libsqlStorage({ url: `file:${join(dir, "early.db")}` });
    await expect(Promise.resolve().then(() => storage.get("1"))).rejects.toThrow(
      /not open yet: start the Manager first \(or call storage\.migrate\(\)\)/,
    );
  });

  it("a file that is not a database", async () => {
    const file = join(dir, "notes.db");
    writeFileSync(file, "these are my notes, not a database\n".repeat(200));
    const storage = libsqlStorage({ url: `file:${file}` });
    await expect(storage.migrate()).rejects.toThrow(/\[shiftwork\] \[libsql\] .*not a database/);
    expect(readFileSync(file, "utf8")).toMatch(/^these are my notes/);
  });

  it("a database of a newer schema version is refused and left as it is", async () => {
    const file = join(dir, "newer.db");
    const db = new Database(file);
    db.exec("CREATE TABLE shiftwork_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    db.exec(`INSERT INTO shiftwork_meta VALUES ('schema_version', '${SCHEMA_VERSION + 1}')`);
    db.close();
    await expect(libsqlStorage({ url: `file:${file}` }).migrate()).rejects.toThrow(
      /schema version \d+ is newer than this shiftwork understands/,
    );
    const after = new Database(file);
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all([])).toEqual([
      { name: "shiftwork_meta" },
    ]);
    after.close();
  });

  it("a foreign database holding shiftwork tables without a version is refused", async () => {
    const file = join(dir, "foreign.db");
    const db = new Database(file);
    db.exec("CREATE TABLE shiftwork_jobs (id TEXT)");
    db.close();
    await expect(libsqlStorage({ url: `file:${file}` }).migrate()).rejects.toThrow(
      /not created by shiftwork/,
    );
  });

  it("an application's own tables are left alone", async () => {
    const file = join(dir, "app.db");
    const db = new Database(file);
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY)");
    db.close();
    const storage = libsqlStorage({ url: `file:${file}` });
    await storage.migrate();
    await storage.close?.();
  });

  it("a read-only database gives a clear error and stays empty", async () => {
    const file = join(dir, "ro.db");
    const db = new Database(file);
    // CI runs as root, where file modes do not stop writes: open the connection query-only instead.
    db.exec("PRAGMA query_only = 1");
    await expect(libsqlStorage({ database: db }).migrate()).rejects.toThrow(
      /\[shiftwork\] \[libsql\] migrate failed: .*readonly/i,
    );
    db.close();
    const check = new Database(file);
    expect(check.prepare("SELECT count(*) AS n FROM sqlite_master").all([])).toMatchObject([
      { n: 0 },
    ]);
    check.close();
  });
});

/** Verbs over an in-memory database, recording the query plan of each statement `explain` runs. */
function plannedVerbs() {
  const db = new Database(":memory:");
  const verbs = sqlVerbs(plainIds);
  const plans: string[] = [];
  const cache = new Map<string, ReturnType<typeof db.prepare>>();
  const exec = ({ sql, args }: { sql: string; args: unknown[] }) => {
    const statement = cache.get(sql) ?? db.prepare(sql);
    cache.set(sql, statement);
    return statement.reader
      ? { rows: statement.all(args) as Record<string, unknown>[], changes: 0 }
      : { rows: [], changes: statement.run(args).changes };
  };
  const explain = ({ sql, args }: { sql: string; args: unknown[] }) => {
    for (const row of db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(args) as { detail: string }[]) {
      plans.push(row.detail);
    }
    return exec({ sql, args });
  };
  runVerbSync(verbs.migrate(), exec);
  // As the storage does before a queue group's first query.
  runVerbSync(verbs.makeQueueIndex(), exec);
  /**
   * The plan lines that read the jobs table itself or sort: "SEARCH shiftwork_jobs" naming no
   * index reads the table (a `state IN (...)` matches no partial index), as bad as a scan. The
   * hand-off's subqueries name the table `other` and `due`.
   */
  const scans = () =>
    plans.filter(
      (p) =>
        /^SCAN (shiftwork_jobs|other|due)\b/.test(p) ||
        /^SEARCH (shiftwork_jobs|other|due)$/.test(p) ||
        /TEMP B-TREE/.test(p),
    );
  return { db, verbs, exec, explain, plans, scans };
}

describe("libsql claim cost", () => {
  it("a one-job enqueue runs outside a transaction, its hand-off included: one statement when the hand-off holds, the insert that wrote nothing and the plain one when it does not", async () => {
    // Every statement run, through the binding the storage is given.
    const db = new Database(":memory:");
    const ran: string[] = [];
    const database = {
      prepare(sql: string) {
        const statement = db.prepare(sql);
        const note = () => ran.push(sql.trim().split(/\s+/)[0] as string);
        return {
          get reader() {
            return statement.reader;
          },
          all(args: unknown[]) {
            note();
            return statement.all(args);
          },
          run(args: unknown[]) {
            note();
            return statement.run(args);
          },
        };
      },
      exec: (sql: string) => {
        ran.push(sql);
        return db.exec(sql);
      },
      close: () => db.close(),
    };
    const storage = libsqlStorage({ database });
    await storage.migrate();
    const engine = storage.getInstance();
    if (!engine?.single) throw new Error("the local engine runs lone statements");
    const calls = { single: 0, transaction: 0 };
    const { single, transaction } = engine;
    engine.single = <T>(verb: () => Verb<T>): T => {
      calls.single++;
      return single.call(engine, verb) as T;
    };
    engine.transaction = <T>(mode: "read" | "write", verb: () => Verb<T>) => {
      calls.transaction++;
      return transaction.call(engine, mode, verb) as T | Promise<T>;
    };
    const claim = { names: ["a"], leaseMs: 1000 };
    ran.length = 0;
    const [alone] = await storage.enqueue([newJob({ name: "a" })], T0, claim);
    expect(alone?.claimed?.id).toBe(alone?.job.id);
    expect(calls).toEqual({ single: 1, transaction: 0 });
    expect(ran).toEqual(["INSERT"]);
    // Another job is claimable first: the insert that would claim writes nothing, and the plain
    // one stores this job waiting, each committing on its own.
    await storage.enqueue([newJob({ name: "a" })], T0);
    ran.length = 0;
    const [behind] = await storage.enqueue([newJob({ name: "a" })], T0, claim);
    expect(behind?.claimed).toBeUndefined();
    expect(behind?.job.state).toBe("waiting");
    expect(calls).toEqual({ single: 3, transaction: 0 });
    expect(ran).toEqual(["INSERT", "INSERT"]);
    await storage.close?.();
  });

  it("claims and wake-up times use indexes only, with 20,000 delayed jobs waiting and 5,000 finished (no table scan, no sort)", () => {
    const { db, verbs, exec, explain, plans, scans } = plannedVerbs();
    db.exec("BEGIN");
    const backlog: NewJob[] = Array.from({ length: 20_000 }, (_, i) =>
      newJob({ runAt: T0 + 60_000 + i, priority: -5 }),
    );
    runVerbSync(verbs.enqueue(backlog, T0), exec);
    runVerbSync(verbs.enqueue([newJob(), newJob({ queue: "other" })], T0), exec);
    // A history of finished jobs, which no wake-up time may read through.
    const history = runVerbSync(
      verbs.enqueue(
        Array.from({ length: 5_000 }, () => newJob({ queue: "done" })),
        T0,
      ),
      exec,
    );
    db.prepare(
      "UPDATE shiftwork_jobs SET state = 'completed', finished_at = ? WHERE queue = 'done'",
    ).run([T0]);
    expect(history).toHaveLength(5_000);
    db.exec("COMMIT");
    const claimed = runVerbSync(
      verbs.claim({ limit: 10, leaseMs: 1000, now: T0, queues: ["default"] }),
      explain,
    );
    expect(claimed).toHaveLength(1);
    runVerbSync(verbs.rescueExpired(T0), explain);
    expect(runVerbSync(verbs.nextWakeAt({ queues: ["default"] }), explain)).toBe(T0 + 1000);
    expect(runVerbSync(verbs.nextWakeAt({ queues: ["done"] }), explain)).toBe(T0 + 1000);
    runVerbSync(
      verbs.extendLeases([{ id: claimed[0]?.id as string, token: "x" }], 1000, T0),
      explain,
    );
    expect(plans.join("\n")).toMatch(
      /SEARCH shiftwork_jobs USING (COVERING )?INDEX shiftwork_jobs_ready_by_queue \(queue=\?/,
    );
    expect(plans.join("\n")).toMatch(
      /SEARCH shiftwork_jobs USING INDEX shiftwork_jobs_delayed \(run_at<\?\)/,
    );
    expect(plans.join("\n")).toMatch(
      /SEARCH shiftwork_jobs USING (COVERING )?INDEX shiftwork_jobs_leases \(lease_expires_at<\?\)/,
    );
    expect(scans()).toEqual([]);
    db.close();
  });

  it("a name group and a queue group claim and wake past 20,000 older ready jobs of another name in other queues, one paused (by their own index, no table scan, no sort)", () => {
    const { db, verbs, exec, explain, plans, scans } = plannedVerbs();
    db.exec("BEGIN");
    // Ahead of every job below in claim order: higher priority, older. Half of them in a paused
    // queue, half in a running one.
    const other = (queue: string) =>
      Array.from({ length: 10_000 }, () =>
        newJob({ name: "other", queue, priority: -5, runAt: T0 - 60_000 }),
      );
    runVerbSync(verbs.enqueue([...other("held"), ...other("busy")], T0), exec);
    runVerbSync(verbs.setPaused("held", true), exec);
    const [late, early, second, low] = runVerbSync(
      verbs.enqueue(
        [
          newJob({ name: "a", runAt: T0 - 1000 }),
          newJob({ name: "a", runAt: T0 - 2000 }),
          newJob({ name: "a", queue: "second", runAt: T0 - 1500 }),
          newJob({ name: "b", runAt: T0 - 9000, priority: 3 }),
        ],
        T0,
      ),
      exec,
    ).map((r) => r.job.id);
    db.exec("COMMIT");

    const lease = { leaseMs: 1000, now: T0 };
    const ids = (jobs: readonly { id: string }[]) => jobs.map((j) => j.id);
    const nameGroup = { names: ["a"] };
    const queueGroup = { queues: ["default"], names: ["a", "b", "other"] };
    // The exact earliest ready job, the low-priority one included.
    expect(runVerbSync(verbs.nextWakeAt(nameGroup), explain)).toBe(T0 - 2000);
    expect(runVerbSync(verbs.nextWakeAt(queueGroup), explain)).toBe(T0 - 9000);
    expect(runVerbSync(verbs.nextWakeAt({ queues: ["held"] }), explain)).toBeNull();
    // The name group takes its job from both queues in claim order; the queue group the rest of
    // its queue, passing the other queues' backlogs by.
    expect(ids(runVerbSync(verbs.claim({ ...nameGroup, limit: 2, ...lease }), explain))).toEqual([
      early,
      second,
    ]);
    expect(ids(runVerbSync(verbs.claim({ ...queueGroup, limit: 5, ...lease }), explain))).toEqual([
      late,
      low,
    ]);
    expect(runVerbSync(verbs.claim({ queues: ["held"], limit: 5, ...lease }), explain)).toEqual([]);
    expect(runVerbSync(verbs.nextWakeAt(nameGroup), explain)).toBe(T0 + 1000);
    // A hand-off (a Manager's one-job enqueue to a drained group) checks that no other job of the
    // group is claimable through the group's own index, past the backlogs too.
    const handOff = (job: NewJob, filter: object) =>
      runVerbSync(verbs.enqueue([job], T0, { ...filter, leaseMs: 1000 }), explain)[0];
    const fresh = handOff(newJob({ name: "a", queue: "third" }), nameGroup);
    expect(fresh?.claimed?.id).toBe(fresh?.job.id);
    const freshInQueue = handOff(newJob({ name: "b" }), queueGroup);
    expect(freshInQueue?.claimed?.id).toBe(freshInQueue?.job.id);
    const heldJob = handOff(newJob({ name: "a", queue: "held" }), {
      queues: ["held"],
      names: ["a"],
    });
    expect(heldJob?.claimed).toBeUndefined();

    const text = plans.join("\n");
    expect(text).toMatch(
      /SEARCH other USING (COVERING )?INDEX shiftwork_jobs_ready_by_name \(name=\?/,
    );
    expect(text).toMatch(
      /SEARCH other USING (COVERING )?INDEX shiftwork_jobs_ready_by_queue \(queue=\?/,
    );
    expect(text).toMatch(
      /SEARCH shiftwork_jobs USING (COVERING )?INDEX shiftwork_jobs_ready_by_name \(name=\?/,
    );
    expect(text).toMatch(
      /SEARCH shiftwork_jobs USING (COVERING )?INDEX shiftwork_jobs_ready_by_queue \(queue=\?/,
    );
    expect(text).not.toMatch(/shiftwork_jobs_ready_by_\w+ \((?!name=\?|queue=\?)/);
    expect(scans()).toEqual([]);
    db.close();
  });
});

describe("libsql change notices", () => {
  it("a subscriber hears about another handle's enqueue, not about nothing", async () => {
    const file = join(dir, "notify.db");
    const a = libsqlStorage({ url: `file:${file}`, changePollInterval: 5 });
    const b = libsqlStorage({ url: `file:${file}` });
    await a.migrate();
    await b.migrate();
    let heard = 0;
    const unsubscribe = a.subscribe?.(() => heard++);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toBe(0);
    await b.enqueue([newJob()], T0);
    for (let i = 0; i < 100 && heard === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(heard).toBe(1);
    unsubscribe?.();
    await a.close?.();
    await b.close?.();
  });

  it("the file watch tells a subscriber of each commit of another handle, the poll an hour away", async () => {
    const file = join(dir, "watch.db");
    await expectNoticesOfOther(
      libsqlStorage({ url: `file:${file}`, changePollInterval: 3_600_000 }),
      libsqlStorage({ url: `file:${file}` }),
      { commits: 3 },
    );
  });

  it("a database passed in with its path is watched too", async () => {
    const file = join(dir, "db-path.db");
    await expectNoticesOfOther(
      libsqlStorage({ database: new Database(file), path: file, changePollInterval: 3_600_000 }),
      libsqlStorage({ url: `file:${file}` }),
      { ownFirst: false },
    );
  });
});
