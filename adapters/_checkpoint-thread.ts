/**
 * The checkpoint thread's code, run by a Node worker with `eval: true`, so neither the sources nor
 * the build need an entry file for it. It is plain CommonJS run as written (no tsx, no bundler),
 * hence a string. It opens one connection per database file with the `libsql` binding found at
 * `workerData.binding` and checks each file's `PRAGMA data_version`, which moves when another
 * connection committed; only then does it run a PASSIVE checkpoint, which copies committed WAL
 * frames into the database file and never waits for a lock (busy timeout 0). The check runs every
 * `workerData.activeMs` while commits come, and backs off to `workerData.idleMs` once none came.
 *
 * Messages in: `{ open: path }`, `{ close: path, id }`. Out: `{ closed: id }` once that file's
 * connection is closed, `{ failed: path }` when a file cannot be opened.
 *
 * The connection keeps SQLite's default `synchronous=FULL`, at least as strong as either
 * durability: a checkpoint syncs the WAL before copying and the database file after, as it does on
 * the writer's connection. A check that throws (SQLITE_BUSY during a recovery, a file gone) is
 * retried at the next tick, silently: nothing here may crash the host or fill its logs.
 */
export const CHECKPOINT_THREAD = `"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const { existsSync } = require("node:fs");
const Database = require(workerData.binding);
const files = new Map();
let timer;
let delay = workerData.activeMs;

/** Checkpoints the files that changed; says whether any had a new commit. */
function checkpointChanged() {
  let moved = false;
  for (const file of files.values()) {
    try {
      const version = file.version.get().data_version;
      if (version !== file.read) moved = true;
      file.read = version;
      if (version === file.copied) continue;
      const result = file.checkpoint.get();
      // Frames left behind (a reader on an older snapshot, another checkpoint running) are tried
      // again at the next tick even if nobody commits meanwhile.
      if (result.busy === 0 && result.checkpointed === result.log) file.copied = version;
    } catch {
      file.copied = undefined;
    }
  }
  return moved;
}

function tick() {
  const moved = checkpointChanged();
  delay = moved ? workerData.activeMs : Math.min(delay * 2, workerData.idleMs);
  timer = setTimeout(tick, delay);
}

parentPort.on("message", (message) => {
  if (message.open !== undefined) {
    try {
      // The writer made the file; opening a missing one would create an empty database instead.
      if (!existsSync(message.open)) throw new Error("no such file");
      const db = new Database(message.open);
      files.set(message.open, {
        db,
        version: db.prepare("PRAGMA data_version"),
        checkpoint: db.prepare("PRAGMA wal_checkpoint(PASSIVE)"),
        read: undefined,
        copied: undefined,
      });
      if (timer === undefined) {
        delay = workerData.activeMs;
        timer = setTimeout(tick, delay);
      }
    } catch {
      parentPort.postMessage({ failed: message.open });
    }
  } else if (message.close !== undefined) {
    const file = files.get(message.close);
    files.delete(message.close);
    try {
      file?.db.close();
    } catch {}
    if (files.size === 0 && timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    parentPort.postMessage({ closed: message.id });
  }
});
`;
