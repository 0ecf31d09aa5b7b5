// The real-runtime cases of Workers sharing threads, written once and run under Node
// (test/runtimes/node-shared-threads.test.ts) and real Bun (test/bun/host.spec.ts).
import { createManager, type JobEvent, type Scheduler } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { describe, expect, it } from "vitest";
import * as jobs from "./fixtures/shared-jobs.js";

/** Options of {@link testSharedThreads}. */
export interface SharedThreadsOptions {
  /** Suite title. */
  name: string;
  /** A thread Scheduler of at most `threads` threads loading `fixtures/shared-jobs.ts`. */
  create(threads: number): Scheduler;
}

/** The test's end of the handlers' channel: who started where, and their release. */
function channel() {
  const port = new BroadcastChannel(jobs.CHANNEL);
  const started: jobs.Started[] = [];
  const waiters: (() => void)[] = [];
  port.onmessage = (event: MessageEvent) => {
    started.push(event.data as jobs.Started);
    for (const wake of waiters.splice(0)) wake();
  };
  return {
    /** Resolves once a handler of `name` with input `n` has started. */
    async started(name: string, n: number): Promise<jobs.Started> {
      for (;;) {
        const found = started.find((s) => s.started === name && s.n === n);
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    release: (n: number | "all") => port.postMessage(`release ${n}`),
    close: () => port.close(),
  };
}

/** The Manager with its end events by job id and its error events. */
function managed(scheduler: Scheduler, workers: Record<string, number>, abortGrace?: number) {
  const manager = createManager({
    storage: memoryStorage(),
    scheduler,
    jobs,
    workers,
    ...(abortGrace === undefined ? {} : { abortGrace }),
  });
  const ended = new Map<string, JobEvent>();
  const errors: string[] = [];
  let wake = () => {};
  for (const type of ["completed", "failed", "cancelled"]) {
    manager.addEventListener(type, (event) => {
      ended.set((event as JobEvent).jobId, event as JobEvent);
      wake();
    });
  }
  manager.addEventListener("error", (event) =>
    errors.push(String((event as unknown as { error: unknown }).error)),
  );
  const ends = async (ids: string[]): Promise<JobEvent[]> => {
    while (!ids.every((id) => ended.has(id))) await new Promise<void>((r) => (wake = r));
    return ids.map((id) => ended.get(id) as JobEvent);
  };
  return { manager, ends, errors };
}

/** Registers the shared-thread cases against one runtime's Scheduler. */
export function testSharedThreads({ name, create }: SharedThreadsOptions): void {
  describe(name, () => {
    it("8 Workers on 2 threads drain 200 jobs: each handler runs once, in 2 threads", async () => {
      const { manager, ends } = managed(create(2), { count: 8 });
      await manager.start();
      const records = await manager.enqueueMany(
        Array.from({ length: 200 }, (_, n) => ({ name: "count", input: { n } })),
      );
      await ends(records.map((r) => r.id));
      const seqs = new Map<number, number[]>();
      for (const [n, record] of records.entries()) {
        const job = await manager.get(record.id);
        expect(job?.state).toBe("completed");
        expect(job?.attempts).toHaveLength(1);
        const output = job?.output as { n: number; thread: number; seq: number };
        expect(output.n).toBe(n);
        seqs.set(output.thread, [...(seqs.get(output.thread) ?? []), output.seq]);
      }
      // Each thread counted its handler calls: 1..k with no gap or repeat, 200 in all.
      expect(seqs.size).toBe(2);
      let calls = 0;
      for (const list of seqs.values()) {
        list.sort((a, b) => a - b);
        expect(list).toEqual(Array.from({ length: list.length }, (_, i) => i + 1));
        calls += list.length;
      }
      expect(calls).toBe(200);
      await manager.stop();
    }, 60_000);

    it("a thread that crashes fails exactly the jobs running in it; the others complete", async () => {
      const talk = channel();
      // Least-loaded placement over 2 threads: hold#1 and #3 with crash#1, hold#2 and #4 apart.
      const { manager, ends, errors } = managed(create(2), { hold: 4, crash: 1 });
      await manager.start();
      const holds = [];
      for (let n = 0; n < 4; n++) holds.push(await manager.enqueue(jobs.hold, { n }));
      const where = await Promise.all([0, 1, 2, 3].map((n) => talk.started("hold", n)));
      const crash = await manager.enqueue(jobs.crash, { n: 100 });
      const crashThread = (await talk.started("crash", 100)).thread;
      const victims = holds.filter((_, n) => where[n]?.thread === crashThread);
      const survivors = holds.filter((_, n) => where[n]?.thread !== crashThread);
      expect(victims).toHaveLength(2);

      talk.release(100);
      for (const event of await ends([crash.id, ...victims.map((j) => j.id)])) {
        expect(event.type).toBe("failed");
        expect(event.error?.message).toMatch(/uncaught in a shared thread/);
      }
      expect(survivors.every((j) => manager.workers().some((w) => w.currentJobId === j.id))).toBe(
        true,
      );
      talk.release("all");
      for (const event of await ends(survivors.map((j) => j.id))) {
        expect(event.type).toBe("completed");
      }
      // One death, reported once per Worker that was on the thread.
      expect(errors).toHaveLength(3);
      // The Workers that lost their thread run new jobs.
      const after = await manager.enqueue(jobs.crash, { n: 200 });
      await talk.started("crash", 200);
      expect(manager.workers().map((w) => w.state)).toEqual(Array(5).fill("running"));
      await manager.stop({ graceful: false });
      expect((await manager.get(after.id))?.state).toBe("waiting");
      talk.close();
    }, 60_000);

    it("a handler stuck past abortGrace: its job times out, the job sharing its thread fails with the thread, new jobs run", async () => {
      const talk = channel();
      const { manager, ends } = managed(create(1), { hold: 1, stuck: 1 }, 300);
      await manager.start();
      const bystander = await manager.enqueue(jobs.hold, { n: 1 });
      await talk.started("hold", 1);
      const stuck = await manager.enqueue(jobs.stuck, { ms: 60_000 });
      const [stuckEnd, bystanderEnd] = await ends([stuck.id, bystander.id]);
      expect(stuckEnd?.type).toBe("failed");
      expect(stuckEnd?.error?.message).toMatch(/timed out after 200ms/);
      expect(bystanderEnd?.type).toBe("failed");
      expect(bystanderEnd?.error?.message).toMatch(
        /worker hold#1 exited: (thread|worker) terminated to stop a handler of stuck#1 that shared it/,
      );
      // Both Workers are on a new thread.
      const quick = await manager.enqueue(jobs.stuck, { ms: 1 });
      const next = await manager.enqueue(jobs.hold, { n: 2 });
      await talk.started("hold", 2);
      talk.release(2);
      for (const event of await ends([quick.id, next.id])) expect(event.type).toBe("completed");
      await manager.stop();
      talk.close();
    }, 60_000);

    it("a graceful stop lets every job sharing a thread finish, even after one Worker stopped", async () => {
      const talk = channel();
      const { manager, ends, errors } = managed(create(1), { hold: 3 });
      await manager.start();
      const held = [];
      for (let n = 0; n < 3; n++) held.push(await manager.enqueue(jobs.hold, { n }));
      for (let n = 0; n < 3; n++) await talk.started("hold", n);
      const stopping = manager.stop();
      talk.release(0);
      // Its Worker stops and lets go of its context; the thread keeps running the other two.
      await ends([held[0]?.id ?? ""]);
      talk.release("all");
      await stopping;
      for (const job of held) expect((await manager.get(job.id))?.state).toBe("completed");
      expect(errors).toEqual([]);
      expect(manager.workers().map((w) => w.state)).toEqual(["stopped", "stopped", "stopped"]);
      talk.close();
    }, 60_000);
  });
}
