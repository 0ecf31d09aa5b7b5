import {
  type AnyJobDefinition,
  collectJobs,
  type ExecutionContext,
  type FromContext,
  type Scheduler,
} from "shiftwork";
import { afterEach, describe, expect, it } from "vitest";
import * as conformanceJobs from "./jobs.js";

/** Options of {@link testScheduler}. */
export interface SchedulerSuiteOptions {
  /** Suite title; default `scheduler conformance`. */
  name?: string;
  /** A new Scheduler whose contexts can run `shiftwork/testing/jobs`. */
  create(): Scheduler | Promise<Scheduler>;
}

interface Harness {
  context: ExecutionContext;
  next(type: FromContext["type"]): Promise<FromContext>;
}

/**
 * Registers the Scheduler conformance suite: contexts run jobs and report outcomes, progress and
 * logs; abort reaches the handler's signal; the one wake-up slot fires once and is replaced by
 * every re-arm. Uses real (short) timers.
 */
export function testScheduler(options: SchedulerSuiteOptions): void {
  const jobs: ReadonlyMap<string, AnyJobDefinition> = collectJobs(conformanceJobs);
  let scheduler: Scheduler | undefined;

  async function spawn(workerId = "w1"): Promise<Harness> {
    scheduler ??= await options.create();
    const inbox: FromContext[] = [];
    const waiters: (() => void)[] = [];
    const context = await scheduler.spawn({
      workerId,
      jobs,
      onMessage: (message) => {
        inbox.push(message);
        for (const wake of waiters.splice(0)) wake();
      },
      onExit: () => {},
    });
    const next = async (type: FromContext["type"]) => {
      for (;;) {
        const index = inbox.findIndex((m) => m.type === type);
        if (index >= 0) return inbox.splice(index, 1)[0] as FromContext;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    return { context, next };
  }

  const runMessage = (id: string, name: string, input: unknown) =>
    ({
      type: "run",
      job: { id, token: `token-${id}`, name, input: input as never, attempt: 1, maxAttempts: 3 },
    }) as const;

  describe(options.name ?? "scheduler conformance", () => {
    afterEach(async () => {
      await scheduler?.close?.();
      scheduler = undefined;
    });

    it("a context runs a job and reports its output", async () => {
      const { context, next } = await spawn();
      context.send(runMessage("1", "conformance.double", { n: 21 }));
      expect(await next("done")).toEqual({
        type: "done",
        id: "1",
        token: "token-1",
        outcome: { kind: "completed", output: { doubled: 42 } },
      });
      await context.terminate();
    });

    it("delivered, where the scheduler has it, resolves once a context has replied", async () => {
      const { context, next } = await spawn();
      context.send(runMessage("1", "conformance.double", { n: 1 }));
      await next("done");
      await scheduler?.delivered?.();
      await context.terminate();
    });

    it("a context reports failures with message, stack and recoverability", async () => {
      const { context, next } = await spawn();
      context.send(runMessage("1", "conformance.fail", { message: "boom" }));
      context.send(runMessage("2", "conformance.fail", { message: "fatal", unrecoverable: true }));
      const outcomes = [await next("done"), await next("done")].map((m) =>
        m.type === "done" ? m.outcome : null,
      );
      expect(outcomes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            kind: "failed",
            unrecoverable: false,
            error: expect.objectContaining({
              message: "boom",
              stack: expect.stringMatching(/boom/),
            }),
          }),
          expect.objectContaining({
            kind: "failed",
            unrecoverable: true,
            // The handler's own message, as thrown: no library prefix.
            error: expect.objectContaining({ name: "UnrecoverableError", message: "fatal" }),
          }),
        ]),
      );
      await context.terminate();
    });

    it("a context rejects input that fails the job's schema", async () => {
      const { context, next } = await spawn();
      context.send(runMessage("1", "conformance.double", { n: "not a number" }));
      const done = await next("done");
      expect(done.type === "done" && done.outcome).toMatchObject({
        kind: "failed",
        unrecoverable: true,
        error: { message: expect.stringMatching(/input\.n/) },
      });
      await context.terminate();
    });

    it("progress and logs arrive, and abort reaches the handler's signal", async () => {
      const { context, next } = await spawn();
      context.send(runMessage("7", "conformance.wait", {}));
      expect(await next("progress")).toMatchObject({ id: "7", token: "token-7", progress: 50 });
      expect(await next("log")).toMatchObject({
        id: "7",
        token: "token-7",
        message: "waiting",
        data: { attempt: 1 },
      });
      context.send({ type: "abort", id: "7", token: "token-7", reason: "cancel" });
      const done = await next("done");
      expect(done.type === "done" && done.outcome).toMatchObject({
        kind: "failed",
        error: { message: expect.stringMatching(/cancelled/) },
      });
      await context.terminate();
    });

    it("contexts run independently", async () => {
      const a = await spawn("a");
      const b = await spawn("b");
      a.context.send(runMessage("a1", "conformance.wait", {}));
      b.context.send(runMessage("b1", "conformance.double", { n: 1 }));
      expect(await b.next("done")).toMatchObject({ id: "b1", outcome: { kind: "completed" } });
      a.context.send({ type: "abort", id: "a1", token: "token-a1", reason: "shutdown" });
      expect(await a.next("done")).toMatchObject({ id: "a1", outcome: { kind: "failed" } });
      await a.context.terminate();
      await b.context.terminate();
    });

    it("the wake-up slot fires once, not before its time", async () => {
      scheduler ??= await options.create();
      const target = Date.now() + 40;
      const fired = await new Promise<number>((resolve) =>
        scheduler?.wakeAt(target, () => resolve(Date.now())),
      );
      // Timers may fire up to a millisecond early through rounding; never more.
      expect(fired).toBeGreaterThanOrEqual(target - 1);
    });

    it("re-arming replaces the slot, and null clears it", async () => {
      scheduler ??= await options.create();
      const calls: string[] = [];
      const now = Date.now();
      scheduler.wakeAt(now + 20, () => calls.push("first"));
      await new Promise<void>((resolve) =>
        scheduler?.wakeAt(now + 40, () => {
          calls.push("second");
          resolve();
        }),
      );
      scheduler.wakeAt(Date.now() + 10, () => calls.push("cleared"));
      scheduler.wakeAt(null, () => {});
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(calls).toEqual(["second"]);
    });

    it("a time in the past fires at once", async () => {
      scheduler ??= await options.create();
      const fired = await new Promise<boolean>((resolve) =>
        scheduler?.wakeAt(Date.now() - 60_000, () => resolve(true)),
      );
      expect(fired).toBe(true);
    });
  });
}
