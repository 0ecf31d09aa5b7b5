import { UnknownJobError } from "shiftwork";
import { describe, expect, it } from "vitest";
import { rejectsAt, seeded, sendEmail, snapshot } from "./_bad-input.js";

describe("enqueue rejects bad input, naming the field, storing nothing", () => {
  it("an unknown job name throws UnknownJobError naming `name` and the job", async () => {
    const { manager } = await seeded();
    const before = await snapshot(manager);
    const enqueueUnknown = manager.enqueue as (name: string, input: unknown) => Promise<unknown>;
    const error = await enqueueUnknown.call(manager, "email.sned", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownJobError);
    expect((error as UnknownJobError).jobName).toBe("email.sned");
    expect((error as Error).message).toMatch(/name: unknown job "email\.sned"/);
    expect(await snapshot(manager)).toEqual(before);

    const batch = [
      { name: "email.send", input: { to: "a@example.com" } },
      { name: "email.sned", input: { to: "b@example.com" } },
    ];
    const inBatch = await manager.enqueueMany(batch).catch((e: unknown) => e);
    expect(inBatch).toBeInstanceOf(UnknownJobError);
    // In a batch, the field is the job's own: which of the items named it.
    expect((inBatch as UnknownJobError).path).toBe("jobs[1].name");
    expect((inBatch as Error).message).toMatch(/ jobs\[1\]\.name: unknown job "email\.sned"$/);
    expect(await snapshot(manager)).toEqual(before);
  });

  it("input failing its schema: a ValidationError whose issue path is `input.to`", async () => {
    const { manager } = await seeded();
    const error = await rejectsAt(
      manager,
      () => manager.enqueue(sendEmail, { to: "not an address" }),
      "input.to",
    );
    expect(error.message).toContain('input of "email.send"');
    await rejectsAt(manager, () => manager.enqueue("email.send", { to: 42 } as never), "input.to");
  });

  it("a delay that is not a duration: `options.delay`", async () => {
    const { manager } = await seeded();
    const to = "x@example.com";
    await rejectsAt(
      manager,
      () => manager.enqueue(sendEmail, { to }, { delay: "soon" as never }),
      "options.delay",
    );
    await rejectsAt(
      manager,
      () => manager.enqueue(sendEmail, { to }, { delay: -5 }),
      "options.delay",
    );
    // Past 100 years: a run time that far is a mistake (and 1e20 ms lies past every Date).
    for (const delay of [1e20, "999999999d", 36_501 * 86_400_000]) {
      const error = await rejectsAt(
        manager,
        () => manager.enqueue(sendEmail, { to }, { delay: delay as never }),
        "options.delay",
      );
      expect(error.issues[0]?.message).toMatch(/^expected a duration from 0 to 100 years/);
    }
    const century = await manager.enqueue(sendEmail, { to }, { delay: "36500d" });
    // (The delay is added to the clock read at the check, `createdAt` is the insert's: a tick apart.)
    expect(century.runAt - century.createdAt).toBeGreaterThan(36_500 * 86_400_000 - 1_000);
    expect(century.runAt - century.createdAt).toBeLessThanOrEqual(36_500 * 86_400_000);
  });

  it("a runAt on a day its month does not have is refused, not moved to the next month", async () => {
    const { manager } = await seeded();
    const to = "x@example.com";
    for (const runAt of ["2026-02-30T00:00:00Z", "2026-04-31T12:00:00Z", "2025-02-29T00:00:00Z"]) {
      await rejectsAt(
        manager,
        () => manager.enqueue(sendEmail, { to }, { runAt }),
        "options.runAt",
      );
    }
    const leap = await manager.enqueue(sendEmail, { to }, { runAt: "2028-02-29T00:00:00Z" });
    expect(leap.runAt).toBe(Date.parse("2028-02-29T00:00:00Z"));
  });

  it("other bad options name their field", async () => {
    const { manager } = await seeded();
    const to = "x@example.com";
    await rejectsAt(
      manager,
      () => manager.enqueue(sendEmail, { to }, { attempts: 0 }),
      "options.attempts",
    );
    await rejectsAt(
      manager,
      () => manager.enqueue(sendEmail, { to }, { priority: 1.5 }),
      "options.priority",
    );
    await rejectsAt(
      manager,
      () => manager.enqueue(sendEmail, { to }, { queue: "no spaces" }),
      "options.queue",
    );
    await rejectsAt(
      manager,
      () => manager.enqueue(sendEmail, { to }, { runAt: "tomorrow" }),
      "options.runAt",
    );
  });

  it("absent options, whether left out, undefined or null (plain JavaScript, JSON), mean the defaults", async () => {
    const { manager } = await seeded();
    const to = "x@example.com";
    const jobs = [
      await manager.enqueue(sendEmail, { to }),
      await manager.enqueue(sendEmail, { to }, undefined),
      await manager.enqueue(sendEmail, { to }, null as never),
      ...(await manager.enqueueMany([
        { name: "email.send", input: { to }, options: null as never },
      ])),
    ];
    expect(jobs.map((j) => [j.queue, j.priority, j.state])).toEqual(
      Array.from({ length: 4 }, () => [jobs[0]?.queue, 0, "waiting"]),
    );
  });

  it("enqueueMany with one bad item among good ones stores none of them", async () => {
    const { manager } = await seeded();
    await rejectsAt(
      manager,
      () =>
        manager.enqueueMany([
          { name: "email.send", input: { to: "a@example.com" } },
          { name: "email.send", input: { to: "oops" } },
          { name: "email.send", input: { to: "c@example.com" } },
        ]),
      "jobs[1].input.to",
    );
    await rejectsAt(
      manager,
      () =>
        manager.enqueueMany([
          { name: "email.send", input: { to: "a@example.com" } },
          {
            name: "email.send",
            input: { to: "b@example.com" },
            options: { delay: "later" as never },
          },
        ]),
      "jobs[1].options.delay",
    );
  });
});
