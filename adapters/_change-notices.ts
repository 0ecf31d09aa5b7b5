/**
 * Change notices for a database other processes write to. A change counter (SQLite's
 * `PRAGMA data_version`: one integer, not a query of the jobs table) says whether another
 * connection committed. On a local file it is read when the file system reports a write to the
 * database or its WAL (`fs.watch` on the folder, Node and Bun), and on a slower poll for file
 * systems whose notices never arrive (network mounts). Host-free: the watch function comes in as a
 * parameter, so this file bundles for Workers too.
 * @module
 */
import { MAX_TIMER_MS } from "../src/_long-timer.js";

/** The part of `fs.watch` (Node, Bun) used here: a watch of a folder, reporting file names. */
export type WatchFolder = (
  folder: string,
  options: { persistent: boolean },
  listener: (event: string, filename: unknown) => void,
) => { close(): void; on(event: "error", listener: (error: unknown) => void): unknown };

/** Options of {@link changeNotices}. */
export interface ChangeNoticesOptions {
  /**
   * Reads the change counter; `undefined` while there is none to read (not open yet). Without it
   * (a remote database) every poll says "maybe changed".
   */
  version?: () => number | undefined;
  /** Milliseconds between polls when no watch runs. */
  pollMs: number;
  /** Milliseconds between polls while the watch runs: the poll is then only a fallback. */
  watchedPollMs?: number;
  /** The database file to watch (its WAL and journal beside it), and the host's `fs.watch`. */
  watch?: { file: string; watchFolder: WatchFolder } | undefined;
}

/** Listeners of another connection's commits. */
export interface ChangeNotices {
  /** Calls `listener` after another connection committed; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  /** Stops the watch and the poll. */
  close(): void;
}

/**
 * A notice can arrive before the commit it reports is visible: the writer appends its pages to the
 * WAL (each write raises a notice), then publishes the commit in shared memory, which raises none.
 * The gap is microseconds, an fsync with `synchronous=FULL` (~0.4 ms on a 2-core VM), or a
 * scheduler tick if the writer is descheduled in between. A check after a notice that found nothing
 * looks again after each of these delays, counted from the latest such check, before leaving it to
 * the poll. In bench C about 3 % of commits needed the first look again, none the later ones.
 */
const SETTLE_MS = [1, 5, 25];

const defer: (fn: () => void) => unknown =
  typeof setImmediate === "function" ? setImmediate : (fn) => setTimeout(fn, 0);

/** Splits a path into its folder and file name (either separator). */
function splitPath(path: string): { folder: string; name: string } {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return { folder: ".", name: path };
  return { folder: path.slice(0, cut) || "/", name: path.slice(cut + 1) };
}

/**
 * Creates change notices. The watch and the poll run only while someone listens. Notices are
 * coalesced: a burst of writes costs one counter read per turn of the event loop.
 */
export function changeNotices(options: ChangeNoticesOptions): ChangeNotices {
  const listeners = new Set<() => void>();
  let last: number | undefined;
  let poller: ReturnType<typeof setInterval> | undefined;
  let watcher: ReturnType<WatchFolder> | undefined;
  let deferred = false;
  let settle: ReturnType<typeof setTimeout> | undefined;

  const notify = () => {
    for (const listener of [...listeners]) listener();
  };

  /** Reads the counter and tells the listeners when it moved; says whether it moved. */
  const check = (): boolean => {
    if (!options.version) {
      notify();
      return true;
    }
    let version: number | undefined;
    try {
      version = options.version();
    } catch {
      // A closing connection: the next check (or the storage's next call) will tell.
      return false;
    }
    if (version === undefined) return false;
    const moved = last !== undefined && version !== last;
    last = version;
    if (moved) notify();
    return moved;
  };

  /** Looks again after the next settle delay, while the counter has not moved. */
  const settleFrom = (step: number) => {
    if (settle !== undefined) clearTimeout(settle);
    settle = undefined;
    const delay = SETTLE_MS[step];
    if (delay === undefined) return;
    settle = setTimeout(() => {
      settle = undefined;
      if (listeners.size > 0 && !check()) settleFrom(step + 1);
    }, delay);
  };

  const onNotice = () => {
    if (deferred) return;
    deferred = true;
    defer(() => {
      deferred = false;
      if (listeners.size === 0) return;
      if (check()) settleFrom(SETTLE_MS.length);
      else settleFrom(0);
    });
  };

  const startPoll = (ms: number) => {
    if (poller !== undefined) clearInterval(poller);
    // Past what a timer holds (~24.8 days) Node would fire every millisecond instead.
    poller = setInterval(check, Math.min(ms, MAX_TIMER_MS));
  };

  const startWatch = (): boolean => {
    if (!options.watch) return false;
    const { folder, name } = splitPath(options.watch.file);
    // The WAL takes every commit and is removed and made again as connections come and go; the
    // database file takes checkpoints (and commits, outside WAL mode).
    const names = new Set([name, `${name}-wal`, `${name}-journal`]);
    try {
      watcher = options.watch.watchFolder(folder, { persistent: false }, (_event, filename) => {
        if (filename === null || filename === undefined || names.has(String(filename))) {
          onNotice();
        }
      });
    } catch {
      // No watch here (inotify limits, a file system without notices): the poll does it all.
      return false;
    }
    watcher.on("error", () => {
      stopWatch();
      if (listeners.size > 0) startPoll(options.pollMs);
    });
    return true;
  };

  const stopWatch = () => {
    watcher?.close();
    watcher = undefined;
  };

  const stop = () => {
    stopWatch();
    if (poller !== undefined) clearInterval(poller);
    poller = undefined;
    if (settle !== undefined) clearTimeout(settle);
    settle = undefined;
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (listeners.size === 1) {
        // The baseline is taken now, so a commit made before the first notice still counts.
        last = options.version?.();
        const watching = startWatch();
        startPoll(watching ? (options.watchedPollMs ?? options.pollMs) : options.pollMs);
      }
      return () => {
        if (listeners.delete(listener) && listeners.size === 0) stop();
      };
    },
    close() {
      listeners.clear();
      stop();
    },
  };
}
