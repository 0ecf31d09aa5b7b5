import { createManager, type JobEvent } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { nodeThreadScheduler } from "shiftwork/runtimes/node";
import { describe, expect, it } from "vitest";
import { sourceExecArgv } from "../runtimes/_node.js";
import * as jobs from "./fault-jobs.js";

// What each fault leaves in the attempt history's error, per attempt.
const patterns = {
  throw: /thrown on attempt/,
  hang: /timed out after 2000ms/,
  exit: /exited with code 7/,
  oom: /ERR_WORKER_OUT_OF_MEMORY|out of memory/i,
} as const;

describe("chaos: thread faults mixed into a drain (Node worker_threads)", () => {
  it("throw, hang past the timeout, process.exit and out-of-memory threads: the Manager stays up and every job ends as it should", async () => {
    const manager = createManager({
      storage: memoryStorage(),
      scheduler: nodeThreadScheduler({
        jobs: new URL("./fault-jobs.ts", import.meta.url),
        execArgv: sourceExecArgv,
        resourceLimits: { maxOldGenerationSizeMb: 48 },
      }),
      jobs,
      workers: { faulty: 4 },
      abortGrace: 300,
    });
    const errors: string[] = [];
    manager.addEventListener("error", (e) =>
      errors.push(String((e as unknown as { error: unknown }).error)),
    );
    const ended = new Map<string, JobEvent>();
    let wake = () => {};
    for (const type of ["completed", "failed", "cancelled"]) {
      manager.addEventListener(type, (e) => {
        ended.set((e as JobEvent).jobId, e as JobEvent);
        wake();
      });
    }
    await manager.start();

    // 60 healthy jobs; per fault, 3 that misbehave once (then complete) and 3 that misbehave on
    // both attempts (then fail), shuffled so faults land among healthy jobs on every Worker.
    type Input = {
      n: number;
      fault: "none" | (typeof jobs.FAULTS)[number];
      faultyAttempts: number;
    };
    const inputs: Input[] = Array.from({ length: 60 }, (_, n) => ({
      n,
      fault: "none",
      faultyAttempts: 0,
    }));
    for (const fault of jobs.FAULTS) {
      for (let i = 0; i < 6; i++)
        inputs.push({ n: inputs.length, fault, faultyAttempts: i < 3 ? 1 : 2 });
    }
    inputs.sort(() => Math.random() - 0.5);
    const records = await manager.enqueueMany(inputs.map((input) => ({ name: "faulty", input })));
    while (ended.size < records.length) await new Promise<void>((resolve) => (wake = resolve));

    const tally: Record<string, number> = {};
    for (const record of records) {
      const input = record.input as Input;
      const job = await manager.get(record.id);
      const outcomes = job?.attempts.map((a) => a.outcome);
      if (input.faultyAttempts === 2) {
        expect(job?.state).toBe("failed");
        expect(outcomes).toEqual(["retry", "failed"]);
      } else {
        expect(job?.state).toBe("completed");
        expect(job?.output).toBe(input.n * 2);
        expect(outcomes).toEqual(
          input.faultyAttempts === 1 ? ["retry", "completed"] : ["completed"],
        );
      }
      if (input.fault !== "none") {
        for (const attempt of job?.attempts.slice(0, input.faultyAttempts) ?? [])
          expect(attempt.error?.message).toMatch(patterns[input.fault]);
      }
      const key = `${input.fault}:${job?.state}`;
      tally[key] = (tally[key] ?? 0) + 1;
    }
    expect(tally).toEqual({
      "none:completed": 60,
      "throw:completed": 3,
      "throw:failed": 3,
      "hang:completed": 3,
      "hang:failed": 3,
      "exit:completed": 3,
      "exit:failed": 3,
      "oom:completed": 3,
      "oom:failed": 3,
    });
    const stats = await manager.stats();
    expect(stats).toEqual([
      expect.objectContaining({ completed: 72, failed: 12, waiting: 0, active: 0 }),
    ]);
    // Each thread death (exit, out of memory: 9 runs each) was reported as an error event.
    expect(errors.filter((e) => patterns.exit.test(e))).toHaveLength(9);
    expect(errors.filter((e) => patterns.oom.test(e))).toHaveLength(9);
    // The Manager is still up, with every Worker idle, and takes new work.
    expect(manager.workers().map((w) => w.state)).toEqual([
      "running",
      "running",
      "running",
      "running",
    ]);
    const after = await manager.enqueue(jobs.faulty, { n: 21, fault: "none", faultyAttempts: 0 });
    while (!ended.has(after.id)) await new Promise<void>((resolve) => (wake = resolve));
    expect((await manager.get(after.id))?.output).toBe(42);
    console.log(
      `[chaos] thread faults: ${records.length} jobs, ${JSON.stringify(tally)}, ${errors.length} error events`,
    );
    await manager.stop({ graceful: false });
  }, 120_000);
});
