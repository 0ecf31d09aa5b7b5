import { createApp } from "shiftwork/http";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueNameSchema } from "../../src/port-schemas.js";
import { type Subject, subjects } from "./_abuse-setup.js";

// SQL metacharacters and other hostile strings, through every list filter and every free-text
// field of an enqueue: stored and returned verbatim, matched literally, never an error (beyond a
// 400 where the field's format forbids them), never an injection.
const HOSTILE = [
  "'",
  '"',
  "' OR '1'='1",
  "'; DROP TABLE shiftwork_jobs; --",
  '"); DELETE FROM shiftwork_jobs; --',
  "%",
  "_",
  "%' --",
  "\\",
  "\\'",
  "/* */",
  "`",
  "?",
  "?1",
  ":name",
  "@p",
  "$1",
  "$.state",
  "[x]",
  "a\nb\r\nc",
  "1; SELECT * FROM sqlite_master",
  "shiftwork_jobs",
  "<script>alert(1)</script>",
  "ü 😀 \u202e",
];
// SQLite ends a bound string at a NUL: such keys and filters are refused (else "k\u0000x" would be
// stored as "k", and a filter "store\u0000junk" would match "store").
const NUL = ["\u0000", "k\u0000x", "store\u0000junk"];

let all: Subject[] = [];
beforeAll(async () => {
  all = await subjects();
});
afterAll(async () => {
  for (const s of all) await s.close();
});

const post = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe.each(["memory", "libsql"])("hostile strings (%s)", (name) => {
  const subject = () => all.find((s) => s.name === name) as Subject;

  it("enqueue fields (input, key) are stored and returned verbatim", async () => {
    const app = createApp(subject().manager);
    for (const text of HOSTILE) {
      const created = await app.request(
        "/jobs",
        post({ name: "store", input: { text, [text]: text }, key: `k${text}` }),
      );
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const got = (await (await app.request(`/jobs/${id}`)).json()) as {
        input: unknown;
        key: string;
      };
      expect(got.input).toEqual({ text, [text]: text });
      expect(got.key).toBe(`k${text}`);
    }
    // An unknown job name or id made of them is a clean 4xx.
    for (const text of HOSTILE) {
      const unknown = await app.request("/jobs", post({ name: text, input: {} }));
      expect(unknown.status).toBe(text === "" ? 400 : 422);
      for (const path of [
        `/jobs/${encodeURIComponent(text)}`,
        `/jobs/${encodeURIComponent(text)}/cancel`,
      ]) {
        const response = await app.request(path, path.endsWith("cancel") ? { method: "POST" } : {});
        expect([400, 404]).toContain(response.status);
      }
    }
  });

  it("a NUL character in a key or a list filter is a 400 naming it, and stores nothing", async () => {
    const { manager } = subject();
    const app = createApp(manager);
    const before = (await manager.list({ limit: 1000 })).jobs.length;
    for (const text of NUL) {
      const created = await app.request(
        "/jobs",
        post({ name: "store", input: { text }, key: text }),
      );
      expect(created.status).toBe(400);
      expect(await created.text()).toContain("NUL");
      const listed = await app.request(`/jobs?${new URLSearchParams({ name: text })}`);
      expect(listed.status).toBe(400);
      expect(await listed.text()).toContain("NUL");
      // A queue name is letters, digits and `_ . : -`, as an enqueue checks it.
      const byQueue = await app.request(`/jobs?${new URLSearchParams({ queue: text })}`);
      expect(byQueue.status).toBe(400);
      expect(await byQueue.text()).toContain('"path":"query.queue"');
      // In an input (JSON text) it is kept as it is.
      const kept = await app.request("/jobs", post({ name: "store", input: { text } }));
      expect(kept.status).toBe(201);
      const { id } = (await kept.json()) as { id: string };
      expect((await manager.get(id))?.input).toEqual({ text });
      await manager.cancel(id);
    }
    expect((await manager.list({ limit: 1000 })).jobs.length).toBe(before + NUL.length);
  });

  it("a name filter matches literally (hostile values find nothing); hostile queue, state, cursor and limit values are 400s; nothing breaks", async () => {
    const { manager } = subject();
    const app = createApp(manager);
    const stored = (await manager.list({ name: "store", state: "waiting", limit: 1000 })).jobs;
    expect(stored.length).toBe(HOSTILE.length);
    for (const text of HOSTILE) {
      const response = await app.request(`/jobs?${new URLSearchParams({ name: text })}`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { jobs: unknown[] }).jobs).toEqual([]);
      // The core's own list takes any name the same way.
      expect((await manager.list({ name: text })).jobs).toEqual([]);
      // A queue name no enqueue would take is refused; one it would take ("_") finds nothing.
      const byQueue = await app.request(`/jobs?${new URLSearchParams({ queue: text })}`);
      if (v.is(queueNameSchema, text)) {
        expect(byQueue.status).toBe(200);
        expect(((await byQueue.json()) as { jobs: unknown[] }).jobs).toEqual([]);
        expect((await manager.list({ queue: text })).jobs).toEqual([]);
      } else {
        expect(byQueue.status).toBe(400);
        await expect(manager.list({ queue: text })).rejects.toThrow(/queue: use letters/);
      }
      for (const key of ["state", "cursor", "limit"]) {
        const response = await app.request(`/jobs?${new URLSearchParams({ [key]: text })}`);
        expect(response.status).toBe(400);
        expect(
          ((await response.json()) as { error: { message: string } }).error.message,
        ).toBeTruthy();
      }
    }
    // Still all there, and the plain filters still work.
    const page = (await (
      await app.request("/jobs?name=store&queue=default&state=waiting&limit=200")
    ).json()) as {
      jobs: unknown[];
    };
    expect(page.jobs).toHaveLength(HOSTILE.length);
    await subject().checkConsistent();
  });
});

describe("auth: every route but /health needs the token; a 401 tells nothing", () => {
  const TOKEN = "s3cret-token-value";

  it("each registered route (found from the app itself) answers 401 without a valid token, and does nothing", async () => {
    const { manager } = all[0] as Subject;
    const before = await manager.stats();
    const app = createApp(manager, { token: TOKEN });
    const routes = app.routes
      // /health, and the dashboard's login form (tested in dashboard.test.ts), need no token.
      .filter((r) => r.method !== "ALL" && !/\/(health|login|logout)$/.test(r.path))
      .map((r) => ({ method: r.method, path: r.path.replace(/:[^/]+/g, "1") }));
    // The routes of today's app at least (new ones are found the same way).
    expect(routes.length).toBeGreaterThanOrEqual(11);
    const tries: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong" },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Basic ${btoa(`user:${TOKEN}`)}` },
      { authorization: TOKEN },
      { authorization: `bearer  ${TOKEN} extra` },
      { authorization: "Bearer " },
      { "x-api-key": TOKEN },
    ];
    let checked = 0;
    for (const { method, path } of [...routes, { method: "GET", path: "/no-such-route" }]) {
      for (const headers of tries) {
        const response = await app.request(`${path}?token=${TOKEN}`, {
          method,
          headers: { ...headers, "content-type": "application/json" },
          ...(method === "POST" ? { body: JSON.stringify({ name: "store", input: {} }) } : {}),
        });
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 401 });
        // The same short body every time: no hint of why, of the token, or of the route.
        expect(await response.text()).toBe('{"error":{"message":"unauthorized"}}');
        response.headers.forEach((value) => {
          expect(value).not.toContain(TOKEN);
        });
        checked++;
      }
    }
    expect(checked).toBe((routes.length + 1) * tries.length);
    expect(await manager.stats()).toEqual(before);
    expect((await app.request("/health")).status).toBe(200);
    // With the token, the same routes are served (whatever their answer, it is not a 401).
    for (const { method, path } of routes) {
      const response = await app.request(path, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        ...(method === "POST" ? { body: JSON.stringify({ name: "store", input: {} }) } : {}),
      });
      expect(response.status).not.toBe(401);
    }
  });
});
