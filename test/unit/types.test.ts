import {
  createManager,
  defineJob,
  type InputOf,
  type JobContext,
  type JobRecord,
  snooze,
} from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { describe, expectTypeOf, it } from "vitest";

const sendEmail = defineJob({
  name: "email.send",
  input: v.object({ to: v.string(), cc: v.optional(v.array(v.string())) }),
  run: (input, ctx) => {
    expectTypeOf(input).toEqualTypeOf<{ to: string; cc?: string[] | undefined }>();
    expectTypeOf(ctx).toEqualTypeOf<JobContext>();
    return input.cc ? snooze("1s") : { sent: 1 };
  },
});
const report = defineJob({
  name: "report",
  input: v.object({ day: v.pipe(v.string(), v.isoDate()) }),
  output: v.object({ rows: v.number() }),
  run: () => ({ rows: 3 }),
});

const base = { storage: memoryStorage(), scheduler: inlineScheduler() };
const byArray = createManager({ ...base, jobs: [sendEmail, report], workers: { default: 1 } });
const byModule = createManager({ ...base, jobs: { sendEmail, report }, workers: { default: 1 } });

/** Takes calls that must type-check (or fail to) but are never run. */
const typeOnly = (_call: () => unknown) => {};

describe("enqueue is typed by the job's input schema", () => {
  it("infers the input type of a definition", () => {
    expectTypeOf<InputOf<typeof sendEmail>>().toEqualTypeOf<{
      to: string;
      cc?: string[] | undefined;
    }>();
    expectTypeOf<InputOf<typeof report>>().toEqualTypeOf<{ day: string }>();
    expectTypeOf(sendEmail.name).toEqualTypeOf<"email.send">();
  });

  it("by definition: the right shape compiles, a wrong one does not", () => {
    expectTypeOf(byArray.enqueue(sendEmail, { to: "a@b.c" })).resolves.toEqualTypeOf<JobRecord>();
    typeOnly(() => byArray.enqueue(sendEmail, { to: "a@b.c", cc: ["d@e.f"] }));
    // @ts-expect-error `to` must be a string
    typeOnly(() => byArray.enqueue(sendEmail, { to: 1 }));
    // @ts-expect-error `to` is required
    typeOnly(() => byArray.enqueue(sendEmail, {}));
    // @ts-expect-error the input of another job
    typeOnly(() => byArray.enqueue(sendEmail, { day: "2026-01-31" }));
  });

  it("by name: the right shape compiles, a wrong one or an unknown name does not", () => {
    typeOnly(() => byArray.enqueue("email.send", { to: "a@b.c" }));
    typeOnly(() => byArray.enqueue("report", { day: "2026-01-31" }));
    typeOnly(() => byModule.enqueue("report", { day: "2026-01-31" }));
    // @ts-expect-error `to` must be a string
    typeOnly(() => byArray.enqueue("email.send", { to: 1 }));
    // @ts-expect-error `day` is required
    typeOnly(() => byModule.enqueue("report", { to: "a@b.c" }));
    // @ts-expect-error no job has this name
    typeOnly(() => byArray.enqueue("email.sned", { to: "a@b.c" }));
  });

  it("enqueue options are typed too", () => {
    typeOnly(() => byArray.enqueue(sendEmail, { to: "a" }, { delay: "5s", attempts: 2 }));
    // @ts-expect-error `attempts` is a number
    typeOnly(() => byArray.enqueue(sendEmail, { to: "a" }, { attempts: "2" }));
    // @ts-expect-error no such option
    typeOnly(() => byArray.enqueue(sendEmail, { to: "a" }, { retries: 2 }));
  });

  it("a handler's return must match its output schema", () => {
    defineJob({
      name: "typed-output",
      input: v.object({}),
      output: v.object({ rows: v.number() }),
      // @ts-expect-error `rows` must be a number
      run: () => ({ rows: "three" }),
    });
  });
});
