import { afterEach, describe, expect, it } from "vitest";
import { changeNotices, type WatchFolder } from "../../adapters/_change-notices.js";

const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stand-in for `fs.watch`: `emit(name)` reports a write to a file of the watched folder. */
function fakeWatch() {
  const state = {
    folder: "",
    listener: undefined as ((event: string, filename: unknown) => void) | undefined,
    closed: false,
  };
  const watchFolder: WatchFolder = (folder, _options, listener) => {
    state.folder = folder;
    state.listener = listener;
    return {
      close: () => {
        state.closed = true;
      },
      on: () => undefined,
    };
  };
  return { state, watchFolder, emit: (name: string) => state.listener?.("change", name) };
}

/** A change counter that counts its reads. */
function counter() {
  const c = {
    value: 1,
    reads: 0,
    read: () => {
      c.reads++;
      return c.value;
    },
  };
  return c;
}

let stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops) stop();
  stops = [];
});

/** Notices of `file` through a fake watch, the poll an hour away, with one counting listener. */
function watched(file: string) {
  const watch = fakeWatch();
  const version = counter();
  const notices = changeNotices({
    version: version.read,
    pollMs: HOUR,
    watch: { file, watchFolder: watch.watchFolder },
  });
  const heard = { count: 0 };
  stops.push(notices.subscribe(() => heard.count++));
  return { watch, version, heard };
}

describe("change notices", () => {
  it("a notice of the WAL confirmed by the counter tells the listeners; the poll an hour away", async () => {
    const { watch, version, heard } = watched("/data/jobs.db");
    expect(watch.state.folder).toBe("/data");
    // A write of this process: the files change, the counter as this connection sees it does not.
    watch.emit("jobs.db-wal");
    await sleep(80);
    expect(heard.count).toBe(0);
    version.value++;
    watch.emit("jobs.db-wal");
    await sleep(20);
    expect(heard.count).toBe(1);
  });

  it("a notice that comes before the commit is visible is looked at again", async () => {
    const { watch, version, heard } = watched("jobs.db");
    expect(watch.state.folder).toBe(".");
    watch.emit("jobs.db-wal");
    await sleep(0);
    // The writer publishes its commit only now, with no further notice.
    version.value++;
    for (let i = 0; i < 100 && heard.count === 0; i++) await sleep(5);
    expect(heard.count).toBe(1);
  });

  it("a burst of notices costs one read of the counter; other files are ignored", async () => {
    const { watch, version, heard } = watched("/data/jobs.db");
    const baseline = version.reads;
    version.value++;
    for (let i = 0; i < 50; i++) watch.emit(i % 2 ? "jobs.db-wal" : "jobs.db");
    watch.emit("other.db-wal");
    await sleep(0);
    await sleep(0);
    expect(version.reads - baseline).toBe(1);
    expect(heard.count).toBe(1);
    version.value++;
    watch.emit("other.db-wal");
    watch.emit("jobs.db-shm");
    await sleep(80);
    expect(heard.count).toBe(1);
  });

  it("without a watch the poll does it all; unsubscribing the last listener stops everything", async () => {
    const throwing: WatchFolder = () => {
      throw new Error("ENOSPC: inotify watch limit reached");
    };
    const version = counter();
    const notices = changeNotices({
      version: version.read,
      pollMs: 5,
      watchedPollMs: HOUR,
      watch: { file: "/data/jobs.db", watchFolder: throwing },
    });
    let heard = 0;
    const unsubscribe = notices.subscribe(() => heard++);
    version.value++;
    for (let i = 0; i < 100 && heard === 0; i++) await sleep(5);
    expect(heard).toBe(1);
    unsubscribe();
    const reads = version.reads;
    version.value++;
    await sleep(40);
    expect(version.reads).toBe(reads);
    expect(heard).toBe(1);
  });

  it("the watch closes with the last listener", () => {
    const watch = fakeWatch();
    const notices = changeNotices({
      version: counter().read,
      pollMs: HOUR,
      watch: { file: "/data/jobs.db", watchFolder: watch.watchFolder },
    });
    const first = notices.subscribe(() => {});
    const second = notices.subscribe(() => {});
    first();
    expect(watch.state.closed).toBe(false);
    second();
    expect(watch.state.closed).toBe(true);
  });
});
