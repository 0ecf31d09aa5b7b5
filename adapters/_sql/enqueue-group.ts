import type { EnqueueResult, NewJob } from "../../src/ports.js";

type Write = (jobs: NewJob[], now: number) => EnqueueResult[] | Promise<EnqueueResult[]>;

interface Pending {
  jobs: readonly NewJob[];
  now: number;
  resolve: (results: EnqueueResult[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for enqueues: the calls made in one turn of the microtask queue (64 concurrent
 * callers, say) are written in one transaction, and each call resolves once that transaction has
 * committed, so an enqueue that returned is still on disk. Calls keep their order (FIFO holds);
 * only calls with the same `now` share a transaction, so each job is stored with its own clock.
 * When a shared transaction fails, each call is tried alone, so one caller's failure stays its own.
 */
export function enqueueGroup(
  write: Write,
): (jobs: readonly NewJob[], now: number) => Promise<EnqueueResult[]> {
  let pending: Pending[] = [];

  const settleAlone = async (call: Pending) => {
    try {
      call.resolve(await write([...call.jobs], call.now));
    } catch (error) {
      call.reject(error);
    }
  };

  const flush = async () => {
    const batch = pending;
    pending = [];
    for (let i = 0; i < batch.length; ) {
      let end = i + 1;
      while (end < batch.length && (batch[end] as Pending).now === (batch[i] as Pending).now) end++;
      const run = batch.slice(i, end);
      i = end;
      if (run.length === 1) {
        await settleAlone(run[0] as Pending);
        continue;
      }
      let results: EnqueueResult[];
      try {
        results = await write(
          run.flatMap((call) => call.jobs),
          (run[0] as Pending).now,
        );
      } catch {
        for (const call of run) await settleAlone(call);
        continue;
      }
      let at = 0;
      for (const call of run) {
        call.resolve(results.slice(at, at + call.jobs.length));
        at += call.jobs.length;
      }
    }
  };

  return (jobs, now) =>
    new Promise((resolve, reject) => {
      pending.push({ jobs, now, resolve, reject });
      // Callers resumed in the same turn reach here before this microtask runs.
      if (pending.length === 1) queueMicrotask(() => void flush());
    });
}
