#!/usr/bin/env node
/**
 * The `shiftwork` command: `start`, `enqueue`, `status`, `list`, `get`, `retry`, `cancel`,
 * `pause`, `resume`.
 * @module
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as v from "valibot";
import { type LibsqlStorage, libsqlStorage } from "../../adapters/libsql.js";
import {
  JobNotFoundError,
  ShiftworkError,
  UnknownJobError,
  unprefixed,
  ValidationError,
} from "../../src/errors.js";
import { createManager } from "../../src/manager.js";
import { listOptionsSchema } from "../../src/options.js";
import { queueNameSchema } from "../../src/port-schemas.js";
import type { JobRecord } from "../../src/ports.js";
import { inlineScheduler } from "../inline.js";
import { runStart } from "./_cli-start.js";
import { checkDb } from "./_db-flag.js";
import { jobsUrl, loadJobs } from "./_load-jobs.js";
import { UsageError } from "./_usage-error.js";

const USAGE = `Usage:
  shiftwork start   [--jobs FILE] [--db URL] [--port N] [--host ADDR] [--workers name=N,...] [--token T]
  shiftwork enqueue NAME JSON [--jobs FILE] [--db URL] [--delay D] [--priority P] [--key K]
  shiftwork status  [--db URL]
  shiftwork list    [--state S] [--name N] [--queue Q] [--limit N] [--cursor C] [--db URL]
  shiftwork get     ID [--db URL]
  shiftwork retry   ID [--db URL]
  shiftwork cancel  ID [--db URL]
  shiftwork pause   QUEUE [--db URL]
  shiftwork resume  QUEUE [--db URL]

Defaults: --jobs the example job module, --db file:./shiftwork.db, --host 127.0.0.1, --port 8787,
--token $SHIFTWORK_TOKEN. The dashboard is at http://HOST:PORT/ (log in with the token, if any).`;

const OPTIONS = {
  jobs: { type: "string" },
  db: { type: "string", default: "file:./shiftwork.db" },
  port: { type: "string", default: "8787" },
  host: { type: "string", default: "127.0.0.1" },
  workers: { type: "string" },
  token: { type: "string" },
  delay: { type: "string" },
  priority: { type: "string" },
  key: { type: "string" },
  state: { type: "string" },
  name: { type: "string" },
  queue: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The flags each command takes (beside `--help`); any other is a usage error, not ignored. */
const FLAGS: Record<string, readonly string[]> = {
  start: ["jobs", "db", "port", "host", "workers", "token"],
  enqueue: ["jobs", "db", "delay", "priority", "key"],
  status: ["db"],
  list: ["db", "state", "name", "queue", "limit", "cursor"],
  get: ["db"],
  retry: ["db"],
  cancel: ["db"],
  pause: ["db"],
  resume: ["db"],
};

/** The commands that take no arguments after their name (the others check their own). */
const NO_ARGUMENTS = new Set(["start", "status", "list"]);

const parse = (args: string[]) =>
  parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals, tokens } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  // Own keys only: a command word like "constructor" is not a command.
  const flags = Object.hasOwn(FLAGS, command) ? FLAGS[command] : undefined;
  if (flags) {
    const foreign = tokens.find((t) => t.kind === "option" && !flags.includes(t.name));
    if (foreign?.kind === "option") return usage(`${command} does not take --${foreign.name}`);
    if (NO_ARGUMENTS.has(command) && rest.length > 0) {
      return usage(`${command} takes no arguments (got "${rest.join(" ")}")`);
    }
  }
  try {
    if (flags?.includes("db")) checkDb(values.db);
    switch (command) {
      case "start":
        return await runStart({
          jobs: jobsUrl(values.jobs),
          db: values.db,
          port: values.port,
          host: values.host,
          workers: values.workers,
          // The environment keeps the token out of the process list.
          token: values.token ?? process.env.SHIFTWORK_TOKEN,
        });
      case "enqueue":
        return await enqueue(rest, values);
      case "status":
        return await status(values.db);
      case "list":
        return await list(values);
      case "get":
        return await get(rest, values.db);
      case "retry":
      case "cancel":
        return await verb(command, rest, values.db);
      case "pause":
      case "resume":
        return await setPaused(command, rest, values.db);
      default:
        return usage(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.cause instanceof Error && error.cause.stack) console.error(error.cause.stack);
      return usage(error.message);
    }
    if (error instanceof ValidationError) {
      console.error(`shiftwork: ${unprefixed(error.message)}`);
      for (const issue of error.issues) console.error(`  ${issue.path}: ${issue.message}`);
      return 2;
    }
    if (error instanceof UnknownJobError) {
      console.error(`shiftwork: ${unprefixed(error.message)}`);
      return 2;
    }
    if (error instanceof ShiftworkError) {
      console.error(`shiftwork: ${unprefixed(error.message)}`);
      return 1;
    }
    console.error(`shiftwork: ${(error as Error).message ?? error}`);
    return 1;
  }
}

function usage(message: string): number {
  console.error(`shiftwork: ${message}\n\n${USAGE}`);
  return 2;
}

/** Opens (and migrates) the database, runs `use` on it, and closes it whatever happens. */
async function withStorage<T>(db: string, use: (storage: LibsqlStorage) => Promise<T>) {
  const storage = libsqlStorage({ url: db });
  await storage.migrate();
  try {
    return await use(storage);
  } finally {
    await storage.close?.();
  }
}

/** The one job ID a command takes. */
function oneId(command: string, args: string[]): string {
  const [id, ...extra] = args;
  if (id === undefined || extra.length > 0) throw new UsageError(`${command} takes one job ID`);
  return id;
}

async function enqueue(
  args: string[],
  values: { jobs?: string; db: string; delay?: string; priority?: string; key?: string },
) {
  const [name, text, ...extra] = args;
  if (name === undefined || text === undefined || extra.length > 0) {
    throw new UsageError("enqueue takes a job NAME and its input as JSON");
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`JSON: the input does not parse: ${(error as Error).message}`);
  }
  // Checked before the database is opened (and migrated): a usage error touches nothing.
  if (values.priority !== undefined && !/^-?\d+$/.test(values.priority)) {
    throw new UsageError(`--priority: expected an integer, got "${values.priority}"`);
  }
  const jobs = await loadJobs(jobsUrl(values.jobs));
  return withStorage(values.db, async (storage) => {
    const manager = createManager({
      storage,
      scheduler: inlineScheduler(),
      jobs: [...jobs.values()],
      workers: {},
    });
    const priority = values.priority === undefined ? undefined : Number(values.priority);
    const job = await manager.enqueue(name, input as never, {
      ...(values.delay === undefined
        ? {}
        : { delay: (/^\d+$/.test(values.delay) ? Number(values.delay) : values.delay) as never }),
      ...(priority === undefined ? {} : { priority }),
      ...(values.key === undefined ? {} : { key: values.key }),
    });
    console.log(
      JSON.stringify({
        id: job.id,
        name: job.name,
        queue: job.queue,
        state: job.state,
        runAt: new Date(job.runAt).toISOString(),
      }),
    );
    return 0;
  });
}

function status(db: string) {
  return withStorage(db, async (storage) => {
    const stats = await storage.stats(Date.now());
    const columns = ["waiting", "delayed", "active", "completed", "failed", "cancelled"] as const;
    console.log(`${"queue".padEnd(16)}${columns.map((c) => c.padStart(10)).join("")}  paused`);
    for (const q of stats) {
      console.log(
        `${q.queue.padEnd(16)}${columns.map((c) => String(q[c]).padStart(10)).join("")}  ${q.paused ? "yes" : "no"}`,
      );
    }
    if (stats.length === 0) console.log("(no jobs)");
    return 0;
  });
}

/** A job as `get` and `list` print it: one JSON line, its lease token left out (as over HTTP). */
function printJob({ leaseToken: _, ...shown }: JobRecord): void {
  console.log(JSON.stringify(shown));
}

/** `get ID`: the whole job. */
function get(args: string[], db: string) {
  const id = oneId("get", args);
  return withStorage(db, async (storage) => {
    const job = await storage.get(id);
    if (!job) throw new JobNotFoundError(id);
    printJob(job);
    return 0;
  });
}

/**
 * `list`: a page of jobs, newest first, one JSON line each (as `get` prints one). When more follow,
 * stderr says which `--cursor` gives the next page, so stdout stays one job per line.
 */
function list(values: {
  db: string;
  state?: string;
  name?: string;
  queue?: string;
  limit?: string;
  cursor?: string;
}) {
  // Checked before the database is opened, as the HTTP API checks `GET /jobs`' query.
  if (values.limit !== undefined && !/^\d+$/.test(values.limit)) {
    throw new UsageError(`--limit: expected an integer from 1 to 1000, got "${values.limit}"`);
  }
  const parsed = v.safeParse(listOptionsSchema, {
    ...(values.state === undefined ? {} : { state: values.state }),
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(values.queue === undefined ? {} : { queue: values.queue }),
    ...(values.limit === undefined ? {} : { limit: Number(values.limit) }),
    ...(values.cursor === undefined ? {} : { cursor: values.cursor }),
  });
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const flag = String((issue.path?.[0] as { key?: unknown } | undefined)?.key ?? "list");
    throw new UsageError(`--${flag}: ${issue.message}`);
  }
  return withStorage(values.db, async (storage) => {
    const page = await storage.list(parsed.output);
    for (const job of page.jobs) printJob(job);
    if (page.nextCursor !== null) {
      console.error(`shiftwork: more jobs follow: add --cursor ${page.nextCursor}`);
    }
    return 0;
  });
}

function verb(command: "retry" | "cancel", args: string[], db: string) {
  const id = oneId(command, args);
  return withStorage(db, async (storage) => {
    const job =
      command === "retry"
        ? await storage.retry(id, Date.now())
        : await storage.cancel(id, "cancelled from the CLI", Date.now());
    console.log(
      JSON.stringify({
        id: job.id,
        name: job.name,
        state: job.state,
        cancelRequested: job.cancelRequested,
      }),
    );
    return 0;
  });
}

/**
 * `pause QUEUE` / `resume QUEUE`: stored, so every process on the database stops (or starts again)
 * claiming the queue's jobs, as `POST /queues/:queue/pause` does.
 */
function setPaused(command: "pause" | "resume", args: string[], db: string) {
  const [queue, ...extra] = args;
  if (queue === undefined || extra.length > 0) throw new UsageError(`${command} takes one QUEUE`);
  // Checked before the database is opened: a usage error touches nothing.
  const checked = v.safeParse(queueNameSchema, queue);
  if (!checked.success) throw new UsageError(`QUEUE: ${checked.issues[0].message}`);
  return withStorage(db, async (storage) => {
    await storage.setPaused(queue, command === "pause");
    console.log(JSON.stringify({ queue, paused: command === "pause" }));
    return 0;
  });
}

// Run when this file is the program, also through npm's bin symlink (compare real paths).
const invoked = process.argv[1] ? realpathSync(process.argv[1]) : "";
if (invoked === realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = await main(process.argv.slice(2));
}
