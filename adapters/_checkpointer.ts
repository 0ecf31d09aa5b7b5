/**
 * Background WAL checkpoints for local files on Node. SQLite's automatic checkpoint runs inside
 * the commit that crosses 1000 WAL pages, on the writer's thread, and pays the copy and the
 * fsyncs there: on the Manager's event loop. Here one worker thread per process, shared by every
 * storage on a local file, checkpoints instead, and the writer's own automatic checkpoint is
 * raised to {@link SAFETY_NET_PAGES}. Checkpointing only copies committed WAL frames into the
 * database file: what a commit guarantees does not change.
 *
 * Host modules load through specifiers bundlers do not follow, as in `libsql.ts`: a Worker bundle
 * of the remote path stays free of Node built-ins.
 * @module
 */
import { CHECKPOINT_THREAD } from "./_checkpoint-thread.js";
import type { SyncDatabase } from "./_sql/sync-engine.js";

/**
 * The writer's own automatic checkpoint while the thread runs, in pages (4 KiB each: 40 MiB).
 * Under sustained writes a background checkpoint never lets the WAL restart (the writer keeps
 * appending behind it), so the WAL grows to this size; the writer then checkpoints what the thread
 * has not copied yet (up to one interval's worth) and the WAL starts over. The larger the net, the
 * rarer that is: one-job enqueues on a 2-core VM took 79 µs with SQLite's 1000, 70 µs with 4000,
 * 63 µs with 10000 (medians of 5 alternated runs of 40,000). The price is disk: SQLite does not
 * shrink a WAL file, so it can stay at up to ~40 MiB until the last connection closes.
 */
export const SAFETY_NET_PAGES = 10_000;

/**
 * How often the thread reads each file's `PRAGMA data_version` while commits come, ms. Shorter
 * costs more CPU under writes without saving the writer time (25 ms measured no better).
 */
const ACTIVE_MS = 100;

/**
 * The longest wait between checks once commits stopped (the wait doubles from 100 ms). Each check
 * is a thread wake-up (~0.14 ms of CPU on a 2-core VM) and a counter read per file (~0.1 ms): every
 * 100 ms that was ~0.25 % of one core for an idle process; with this back-off bench C's idle
 * consumer went from 0.18 % of a core without the thread to 0.26 % with it. Not longer: a burst
 * after a pause is first checked up to this late, and at ~24,000 WAL pages/s (one-job enqueues,
 * same VM) a longer wait would let the WAL reach the safety net before the thread copies any.
 */
const IDLE_MS = 400;

/** The part of Node's `Worker` used here. */
interface ThreadWorker {
  readonly threadId: number;
  on(event: "message", listener: (message: ThreadMessage) => void): unknown;
  on(event: "error" | "exit", listener: () => void): unknown;
  postMessage(message: unknown): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

type ThreadMessage = { closed: number } | { failed: string };

interface Host {
  startWorker(): ThreadWorker;
  absolute(path: string): string;
}

/** One file's storages: how many, and how each restores its own checkpoints if the thread dies. */
interface FileEntry {
  count: number;
  fallbacks: Set<() => void>;
}

interface Thread {
  worker: ThreadWorker;
  files: Map<string, FileEntry>;
  /** Close acknowledgements awaited, by request id. */
  closing: Map<number, () => void>;
  nextId: number;
}

/**
 * Awaits the thread's answer to `close`. The worker is referenced meanwhile: with nothing else to
 * do, the process would otherwise exit with that close unfinished.
 */
async function closeFile(thread: Thread, path: string): Promise<void> {
  const id = thread.nextId++;
  const closed = new Promise<void>((resolve) => thread.closing.set(id, resolve));
  if (thread.closing.size === 1) thread.worker.ref();
  thread.worker.postMessage({ close: path, id });
  await closed;
  if (thread.closing.size === 0) thread.worker.unref();
}

let hostLoading: Promise<Host | undefined> | undefined;
let current: Thread | undefined;

/**
 * Node only. Bun and Deno have `worker_threads` too, but Bun's storage is `bun:sqlite` and neither
 * was measured: they keep SQLite's own checkpoints. No `libsql` to resolve (an injected database
 * from another binding) means no thread either.
 */
async function loadHost(): Promise<Host | undefined> {
  const versions = (globalThis as { process?: { versions?: Record<string, string | undefined> } })
    .process?.versions;
  if (!versions?.node || versions.bun || versions.deno) return undefined;
  try {
    const threadsSpecifier = "node:worker_threads";
    const moduleSpecifier = "node:module";
    const pathSpecifier = "node:path";
    const [threads, module, path] = await Promise.all([
      import(/* @vite-ignore */ threadsSpecifier),
      import(/* @vite-ignore */ moduleSpecifier),
      import(/* @vite-ignore */ pathSpecifier),
    ]);
    // An absolute path, so the thread finds the binding wherever this file was bundled to.
    const binding = (
      module.createRequire(import.meta.url) as { resolve(id: string): string }
    ).resolve("libsql");
    return {
      startWorker: () =>
        new threads.Worker(CHECKPOINT_THREAD, {
          eval: true,
          workerData: { binding, activeMs: ACTIVE_MS, idleMs: IDLE_MS },
          // Not the main thread's flags: `--import tsx` would load a compiler for plain CommonJS.
          execArgv: [],
        }),
      absolute: path.resolve,
    };
  } catch {
    return undefined;
  }
}

function startThread(host: Host): Thread {
  const worker = host.startWorker();
  const thread: Thread = { worker, files: new Map(), closing: new Map(), nextId: 0 };
  const lose = () => {
    if (current === thread) current = undefined;
    for (const entry of thread.files.values()) for (const fallback of entry.fallbacks) fallback();
    thread.files.clear();
    for (const acknowledge of thread.closing.values()) acknowledge();
    thread.closing.clear();
  };
  worker.on("message", (message) => {
    if ("closed" in message) {
      const acknowledge = thread.closing.get(message.closed);
      thread.closing.delete(message.closed);
      acknowledge?.();
    } else {
      const entry = thread.files.get(message.failed);
      for (const fallback of entry?.fallbacks ?? []) fallback();
      entry?.fallbacks.clear();
    }
  });
  // An error event without a listener would crash the host; "exit" follows it.
  worker.on("error", () => {});
  worker.on("exit", lose);
  // After the listeners: adding a "message" listener refs the worker again.
  worker.unref();
  return thread;
}

/**
 * Checkpoints `file` in the background for `db`, the writer's connection to it, and raises that
 * connection's automatic checkpoint to the safety net. Returns the release (call it before closing
 * `db`; the last release stops the thread), or `undefined` where no thread can run: `db` then
 * keeps SQLite's own checkpoints. If the thread dies or cannot open the file later, `db` gets its
 * previous automatic checkpoint back.
 */
export async function startBackgroundCheckpoints(
  db: SyncDatabase,
  file: string,
): Promise<(() => Promise<void>) | undefined> {
  hostLoading ??= loadHost();
  const host = await hostLoading;
  if (!host) return undefined;
  let previous: number;
  let thread: Thread;
  try {
    previous = Number(
      (db.prepare("PRAGMA wal_autocheckpoint").all([])[0] as { wal_autocheckpoint: unknown })
        .wal_autocheckpoint,
    );
    current ??= startThread(host);
    thread = current;
    db.exec(`PRAGMA wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  } catch {
    return undefined;
  }
  const path = host.absolute(file);
  const fallback = () => {
    try {
      db.exec(`PRAGMA wal_autocheckpoint = ${previous}`);
    } catch {
      // Closed meanwhile: nothing left to checkpoint for.
    }
  };
  let entry = thread.files.get(path);
  if (!entry) {
    entry = { count: 0, fallbacks: new Set() };
    thread.files.set(path, entry);
    thread.worker.postMessage({ open: path });
  }
  entry.count++;
  entry.fallbacks.add(fallback);

  let released = false;
  return async () => {
    if (released || current !== thread) return;
    released = true;
    entry.fallbacks.delete(fallback);
    if (--entry.count > 0) return;
    thread.files.delete(path);
    const last = thread.files.size === 0;
    // A storage opened from now on starts a new thread.
    if (last) current = undefined;
    // The thread's connection closes first, so the writer's close, as the last connection, still
    // checkpoints and removes the WAL as it did without the thread.
    await closeFile(thread, path);
    if (last) await thread.worker.terminate();
  };
}

/**
 * For tests: the running thread and the files it checkpoints, or `undefined` when none runs.
 * `running()` reads the worker itself, so it turns false only once the thread really exited.
 */
export function _checkpointThread(): { files: string[]; running: () => boolean } | undefined {
  const thread = current;
  if (!thread) return undefined;
  return { files: [...thread.files.keys()], running: () => thread.worker.threadId >= 0 };
}
