import fc from "fast-check";
import { ShiftworkError } from "shiftwork";
import { createApp } from "shiftwork/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Subject, subjects } from "./_abuse-setup.js";

// Property-based abuse of the HTTP API and of enqueue. Every response must be a success or a 4xx
// with a JSON `{ error: { message } }`, never a 5xx and never a hang; afterwards storage must be
// consistent and hold exactly the jobs whose creation was answered with a success.
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

let all: Subject[] = [];
beforeAll(async () => {
  all = await subjects();
});
afterAll(async () => {
  for (const s of all) await s.close();
});

/** Values of every JSON type, including deep nesting, huge strings and awkward numbers. */
const nested = (depth: number, leaf: unknown) => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
  return value;
};
const awkward = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(null, true, 0, -0, 1e308, -1, 2 ** 53 + 1, "", " ", "\u0000", "\ud800"),
  fc.integer({ min: 0, max: 3000 }).map((depth) => nested(depth, "deep")),
  fc.integer({ min: 0, max: 300_000 }).map((n) => "x".repeat(n)),
  fc.string({ unit: "grapheme", maxLength: 50 }),
);
const duration = fc.oneof(
  fc.constantFrom("5s", "500ms", "2m", "1h", "7d", "1.5s"),
  fc.constantFrom("-1s", "5 s", "5sec", "s", "1e3ms", "Infinity", "NaN", "0x10ms", "", "5s;DROP"),
  fc.double(),
  fc.integer(),
  awkward,
);
const date = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    "2024-13-45T25:61:00Z",
    "2024-02-30T00:00:00Z",
    "yesterday",
    "0000-00-00",
    "+275760-09-13T00:00:01Z",
    "2024-01-01T00:00:00+99:00",
  ),
  awkward,
);
/** Mostly valid jobs, some with one field gone wrong or an unknown field. */
const plausible = fc.record(
  {
    name: fc.constantFrom("email.send", "store"),
    input: fc.oneof(
      fc.record({ to: fc.stringMatching(/^[a-z0-9.]{1,20}@example\.com$/) }),
      fc.jsonValue(),
    ),
    delay: fc.constantFrom(0, 10, "5s", "1h"),
    priority: fc.integer({ min: -1_000_000, max: 1_000_000 }),
    queue: fc.constantFrom("default", "emails", "a.b:c-d_e"),
    key: fc.string({ minLength: 1, maxLength: 40 }),
  },
  { requiredKeys: ["name", "input"] },
);
const field = fc.oneof(
  plausible,
  fc
    .tuple(plausible, fc.string({ maxLength: 10 }), awkward)
    .map(([job, k, value]) => ({ ...job, [k]: value })),
  fc.record(
    {
      name: fc.oneof(fc.constantFrom("email.send", "store", "nope", ""), awkward),
      input: fc.oneof(
        fc.record(
          { to: fc.oneof(fc.emailAddress(), awkward), subject: awkward },
          { requiredKeys: [] },
        ),
        awkward,
      ),
      delay: duration,
      runAt: date,
      priority: fc.oneof(fc.integer(), fc.double(), awkward),
      attempts: fc.oneof(fc.integer({ min: -5, max: 2000 }), awkward),
      queue: fc.oneof(fc.constantFrom("default", "q'; DROP TABLE shiftwork_jobs; --"), awkward),
      key: fc.oneof(fc.string(), awkward),
    },
    { requiredKeys: [] },
  ),
  awkward,
);
/** A request body: a plausible job or batch, a structured attempt with unknown fields, any text. */
const body = fc.oneof(
  { weight: 3, arbitrary: plausible.map((job) => JSON.stringify(job)) },
  {
    weight: 2,
    arbitrary: fc
      .array(plausible, { minLength: 1, maxLength: 5 })
      .map((jobs) => JSON.stringify({ jobs })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(field, fc.dictionary(fc.string({ maxLength: 10 }), awkward, { maxKeys: 3 }))
      .map(
        ([f, extra]) =>
          JSON.stringify(
            typeof f === "object" && f && !Array.isArray(f) ? { ...extra, ...f } : f,
          ) ?? "",
      ),
  },
  {
    weight: 1,
    arbitrary: fc.array(field, { maxLength: 5 }).map((jobs) => JSON.stringify({ jobs })),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("", "{", "[", "null", '{"name":', "\u0000", '{"__proto__":{"x":1}}'),
  },
);
const path = fc.oneof(
  { weight: 3, arbitrary: fc.constant("/jobs") },
  { weight: 2, arbitrary: fc.constant("/jobs/batch") },
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 30 }).map((id) => `/jobs/${encodeURIComponent(id)}/cancel`),
  },
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 30 }).map((id) => `/jobs/${encodeURIComponent(id)}/retry`),
  },
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 30 }).map((q) => `/queues/${encodeURIComponent(q)}/pause`),
  },
);
const query = fc.dictionary(
  fc.oneof(
    fc.constantFrom("state", "name", "queue", "limit", "cursor"),
    fc.string({ maxLength: 8 }),
  ),
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom("1", "0", "-1", "1e3", "99999999999999999", "' OR 1=1 --"),
  ),
  { maxKeys: 4 },
);

/** Answers within 10 s or fails: a hang is a failure, not a test timeout. */
async function answered(promise: Promise<Response>): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no answer within 10 s")), 10_000);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A success, or a 4xx with a message: a JSON `{ error: { message } }`, or (for a path no route
 * matches) hono's plain-text "404 Not Found".
 */
async function expectClean(response: Response): Promise<unknown> {
  const text = await response.text();
  statuses[response.status] = (statuses[response.status] ?? 0) + 1;
  expect(response.status, text.slice(0, 300)).toBeLessThan(500);
  if (response.status >= 400) {
    if (!response.headers.get("content-type")?.includes("json")) {
      expect({ status: response.status, text }).toEqual({ status: 404, text: "404 Not Found" });
      return undefined;
    }
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    const message = parsed.error?.message;
    expect(typeof message).toBe("string");
    expect(String(message).length).toBeGreaterThan(0);
    return undefined;
  }
  return text ? JSON.parse(text) : undefined;
}

const tried: Record<string, number> = {};
const statuses: Record<number, number> = {};
afterAll(() =>
  console.log(
    `[fuzz] cases tried: ${JSON.stringify(tried)}; HTTP statuses: ${JSON.stringify(statuses)}`,
  ),
);

describe.each(["memory", "libsql"])("fuzzing the HTTP API and enqueue (%s)", (name) => {
  const subject = () => all.find((s) => s.name === name) as Subject;

  it("random and malformed requests: a success or a clear 4xx, never a 5xx or a hang; storage consistent", async () => {
    const { manager } = subject();
    const app = createApp(manager);
    const created = new Set<string>();
    const before = (await manager.list({ limit: 1000 })).jobs.map((j) => j.id);
    for (const id of before) created.add(id);
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        path,
        body,
        fc.constantFrom("application/json", "application/json", "text/plain", ""),
        query,
        async (route, text, type, q) => {
          cases++;
          const posted = await answered(
            Promise.resolve(
              app.request(route, {
                method: "POST",
                headers: type ? { "content-type": type } : {},
                body: text,
              }),
            ),
          );
          const result = (await expectClean(posted)) as { id?: string; jobs?: { id: string }[] };
          if (posted.status < 300 && route.startsWith("/jobs") && result) {
            if (result.id) created.add(result.id);
            for (const job of result.jobs ?? []) created.add(job.id);
          }
          const listed = await answered(
            Promise.resolve(app.request(`/jobs?${new URLSearchParams(q)}`)),
          );
          await expectClean(listed);
        },
      ),
      { numRuns: RUNS, interruptAfterTimeLimit: 120_000 },
    );
    tried[`http ${name}`] = cases;
    // The generators reach both sides: some jobs were created, some requests refused.
    expect(created.size).toBeGreaterThan(before.length);
    expect(statuses[400]).toBeGreaterThan(0);
    // Stored: exactly the jobs whose creation was answered with a success, in consistent states.
    const stored = new Set<string>();
    for (let cursor: number | null | undefined; cursor !== null; ) {
      const page = await manager.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const job of page.jobs) stored.add(job.id);
      cursor = page.nextCursor;
    }
    expect(stored).toEqual(created);
    await subject().checkConsistent();
  }, 180_000);

  it("enqueue with arbitrary names, inputs and options resolves or throws a ShiftworkError naming the problem", async () => {
    const { manager } = subject();
    let cases = 0;
    const values = fc.oneof(
      awkward,
      fc.anything(),
      fc.bigInt(),
      fc.constant(() => 1),
      fc.constant(Symbol("s")),
      fc.constant(undefined),
      fc.constant(new Date(Number.NaN)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom("email.send", "store"), values),
        values,
        fc.oneof(field, values),
        async (jobName, input, options) => {
          cases++;
          try {
            const record = await manager.enqueue(jobName as string, input, options as never);
            expect(typeof record.id).toBe("string");
          } catch (error) {
            expect(error).toBeInstanceOf(ShiftworkError);
            expect((error as Error).message).toMatch(/^\[shiftwork\]|./);
            expect((error as Error).message.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: RUNS * 2, interruptAfterTimeLimit: 120_000 },
    );
    tried[`enqueue ${name}`] = cases;
    await subject().checkConsistent();
  }, 180_000);
});
