/**
 * Set-up shared by the bad-input files: a Manager holding one good job, and a snapshot of what a
 * user can see of its storage, to compare before and after a rejected call.
 * @module
 */
import { defineJob, type JobModule, type Manager, ValidationError } from "shiftwork";
import * as v from "valibot";
import { expect } from "vitest";
import { setup } from "./_harness.js";

export const sendEmail = defineJob({
  name: "email.send",
  input: v.object({ to: v.pipe(v.string(), v.email()), subject: v.optional(v.string()) }),
  run: () => null,
});

export const store = defineJob({
  name: "store",
  input: v.object({ payload: v.unknown() }),
  run: () => null,
});

/** A Manager (not started) on memory storage, already holding one good job. */
export async function seeded() {
  const harness = setup({ jobs: [sendEmail, store], workers: { "email.send": 1 } });
  await harness.manager.enqueue(sendEmail, { to: "first@example.com" });
  return harness;
}

/** Everything `stats()` and `list()` show. */
export async function snapshot<M extends JobModule>(manager: Manager<M>) {
  return { stats: await manager.stats(), jobs: (await manager.list({ limit: 1000 })).jobs };
}

/**
 * Asserts `call` rejects with a ValidationError that has an issue at `path`, names `path` in its
 * message, and leaves storage as it was.
 */
export async function rejectsAt<M extends JobModule>(
  manager: Manager<M>,
  call: () => Promise<unknown>,
  path: string,
) {
  const before = await snapshot(manager);
  const error = await call().then(
    () => expect.fail(`expected a ValidationError at ${path}`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  const { issues, message } = error as ValidationError;
  expect(issues.map((i) => i.path)).toContain(path);
  expect(message).toContain(path);
  expect(await snapshot(manager)).toEqual(before);
  return error as ValidationError;
}
