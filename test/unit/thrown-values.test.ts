// Whatever a handler throws, its job ends (failed, with a message), and the stored error is the
// storage's own copy, not an object an event listener can still change.
import { defineJob } from "shiftwork";
import * as v from "valibot";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { nextEvent, settle, setup } from "./_harness.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const cyclic: Record<string, unknown> = { name: "loop" };
cyclic.self = cyclic;

const throwers = {
  cyclic: () => cyclic,
  bigint: () => 10n,
  // Neither JSON nor a string form: both throw.
  hostile: () => ({
    toJSON() {
      throw new Error("no JSON");
    },
    toString() {
      throw new Error("no text");
    },
  }),
  string: () => "plain text",
};

const thrower = defineJob({
  name: "thrower",
  input: v.object({ kind: v.picklist(Object.keys(throwers)) }),
  retry: { attempts: 1 },
  run: ({ kind }) => {
    throw throwers[kind as keyof typeof throwers]();
  },
});

it.each([
  ["cyclic", '{"name":"loop"'],
  ["bigint", "10"],
  ["hostile", "[object Object]"],
  ["string", "plain text"],
])("a thrown %s value fails its job with a message", async (kind, text) => {
  const { manager } = setup({ jobs: [thrower], workers: { thrower: 1 } });
  await manager.start();
  const failed = nextEvent(manager, "failed");
  const { id } = await manager.enqueue(thrower, { kind });
  await settle();
  const event = await failed;
  expect(event.jobId).toBe(id);
  const job = await manager.get(id);
  expect(job?.state).toBe("failed");
  expect(job?.error?.message).toBeTypeOf("string");
  // The cyclic object has no JSON form: its text is String()'s, which names no key.
  if (kind === "cyclic") expect(job?.error?.message).toBe("[object Object]");
  else expect(job?.error?.message).toContain(text);
  await manager.stop();
});

it("a listener that changes a failed event's error does not change the stored job", async () => {
  const { manager } = setup({ jobs: [thrower], workers: { thrower: 1 } });
  manager.addEventListener("failed", (event) => {
    const error = (event as unknown as { error: { message: string } }).error;
    error.message = "changed by a listener";
  });
  await manager.start();
  const { id } = await manager.enqueue(thrower, { kind: "string" });
  await settle();
  const job = await manager.get(id);
  expect(job?.error?.message).toBe("plain text");
  expect(job?.attempts.at(-1)?.error?.message).toBe("plain text");
  await manager.stop();
});
