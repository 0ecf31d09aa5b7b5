import { createManager, defineJob, type Manager } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { createApp, openApiDocument } from "shiftwork/http";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const email = defineJob({
  name: "email.send",
  input: v.object({ to: v.pipe(v.string(), v.email()) }),
  run: ({ to }) => ({ sent: to }),
});
const fail = defineJob({
  name: "always.fails",
  input: v.object({}),
  retry: { attempts: 1 },
  run: () => {
    throw new Error("nope");
  },
});

// biome-ignore lint/suspicious/noExplicitAny: a Manager of this test's job module
let manager: Manager<any>;
beforeEach(async () => {
  manager = createManager({
    storage: memoryStorage(),
    scheduler: inlineScheduler(),
    jobs: [email, fail],
    workers: {},
  });
  await manager.start();
});
afterEach(() => manager.stop());

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: typeof body === "string" ? body : JSON.stringify(body),
});
const count = async () => (await manager.list({ limit: 1000 })).jobs.length;

describe("HTTP API (app.request, memory adapter)", () => {
  it("POST /jobs creates a job (201) and GET /jobs/:id returns it", async () => {
    const app = createApp(manager);
    const created = await app.request(
      "/jobs",
      json({ name: "email.send", input: { to: "a@example.com" }, priority: 2 }),
    );
    expect(created.status).toBe(201);
    const job = (await created.json()) as { id: string; priority: number; state: string };
    expect(job).toMatchObject({ priority: 2, state: "waiting" });
    const got = await app.request(`/jobs/${job.id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id: job.id, name: "email.send" });
  });

  it("bad input is 400 with issues naming the field, an unknown job 422, an unknown id 404; nothing stored", async () => {
    const app = createApp(manager);
    const cases: [RequestInit, number, string | undefined][] = [
      [json({ name: "email.send", input: { to: "x" } }), 400, "body.input.to"],
      [
        json({ name: "email.send", input: { to: "a@example.com" }, delay: "soon" }),
        400,
        "body.delay",
      ],
      [
        json({ name: "email.send", input: { to: "a@example.com" }, colour: "red" }),
        400,
        "body.colour",
      ],
      [
        json({
          name: "email.send",
          input: { to: "a@example.com" },
          delay: 5,
          runAt: "2030-01-01T00:00:00Z",
        }),
        400,
        "body",
      ],
      [json({ input: {} }), 400, "body.name"],
      [json("{not json"), 400, "body"],
      [json([]), 400, "body"],
      [json("null"), 400, "body"],
      [json({ name: "nope", input: {} }), 422, "body.name"],
    ];
    const batch = json({
      jobs: [{ name: "email.send", input: { to: "a@example.com" } }, { name: "nope" }],
    });
    const requests: [string, RequestInit, number, string | undefined][] = [
      ...cases.map(([init, status, path]): [string, RequestInit, number, string | undefined] => [
        "/jobs",
        init,
        status,
        path,
      ]),
      ["/jobs/batch", batch, 422, "body.jobs[1].name"],
    ];
    for (const [route, init, status, path] of requests) {
      const response = await app.request(route, init);
      expect({ status: response.status }).toEqual({ status });
      const body = (await response.json()) as {
        error: { message: string; issues?: { path: string }[] };
      };
      expect(body.error.message).toBeTruthy();
      if (path) expect(body.error.issues?.map((i) => i.path)).toContain(path);
    }
    const missing = await app.request("/jobs/999");
    const cancelMissing = await app.request("/jobs/999/cancel", { method: "POST" });
    expect([missing.status, cancelMissing.status]).toEqual([404, 404]);
    // One message for a missing job, whichever route asked.
    const message = async (r: Response) =>
      ((await r.json()) as { error: { message: string } }).error.message;
    expect(await message(missing)).toBe(await message(cancelMissing));
    const nowhere = await app.request("/no/such/route");
    expect(nowhere.status).toBe(404);
    expect(await nowhere.json()).toEqual({ error: { message: "no route GET /no/such/route" } });
    expect((await app.request("/jobs/999/cancel", { method: "POST" })).status).toBe(404);
    expect(await count()).toBe(0);
  });

  it("POST /jobs/batch is all or nothing", async () => {
    const app = createApp(manager);
    const bad = await app.request(
      "/jobs/batch",
      json({
        jobs: [
          { name: "email.send", input: { to: "a@example.com" } },
          { name: "email.send", input: { to: "x" } },
        ],
      }),
    );
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path,
    ).toBe("body.jobs[1].input.to");
    expect(await count()).toBe(0);
    const bare = await app.request("/jobs/batch", json([{ name: "email.send", input: {} }]));
    expect(await bare.json()).toEqual({
      error: {
        message: "body: expected a JSON object",
        issues: [{ path: "body", message: "expected an object, got an array" }],
      },
    });
    const good = await app.request(
      "/jobs/batch",
      json({
        jobs: [
          { name: "email.send", input: { to: "a@example.com" } },
          { name: "email.send", input: { to: "b@example.com" } },
        ],
      }),
    );
    expect(good.status).toBe(201);
    expect(((await good.json()) as { jobs: unknown[] }).jobs).toHaveLength(2);
  });

  it("GET /jobs filters and pages; bad query is 400", async () => {
    const app = createApp(manager);
    for (let i = 0; i < 3; i++) await manager.enqueue(email, { to: `u${i}@example.com` });
    const page = (await (await app.request("/jobs?state=waiting&limit=2")).json()) as {
      jobs: unknown[];
      nextCursor: number;
    };
    expect(page.jobs).toHaveLength(2);
    const next = (await (await app.request(`/jobs?limit=2&cursor=${page.nextCursor}`)).json()) as {
      jobs: unknown[];
    };
    expect(next.jobs).toHaveLength(1);
    expect((await app.request("/jobs?limit=lots")).status).toBe(400);
    expect((await app.request("/jobs?state=sleeping")).status).toBe(400);
    expect((await app.request("/jobs?limit=5000")).status).toBe(400);
  });

  it("a 400 names each field where the request had it, in the words of what it takes", async () => {
    const app = createApp(manager);
    const issues = async (response: Response | Promise<Response>) => {
      const answer = await response;
      const body = (await answer.json()) as { error: { issues?: unknown[] } };
      return { status: answer.status, issues: body.error.issues };
    };
    const runAt =
      /^expected an ISO 8601 date-time with its time zone, such as 2026-01-31T12:00:00Z$/;
    const cases: [Response | Promise<Response>, string, RegExp][] = [
      // The query's own schema passes any cursor (a Worker fans out over several); the Manager's
      // refusal still names the query.
      [app.request("/jobs?cursor=zzz"), "query.cursor", /^expected a cursor: the nextCursor/],
      // Reading only the first would answer another question than the one asked.
      [app.request("/jobs?state=failed&state=completed"), "query.state", /^given more than once$/],
      [app.request("/events?queue=a&queue=b"), "query.queue", /^given more than once$/],
      // A name no queue can have, as a Worker's router refuses it.
      [app.request("/jobs?queue=a%20b"), "query.queue", /^use letters, digits and _ \. : - only$/],
      [app.request("/jobs?limit=100000"), "query.limit", /^expected a whole number from 1 to 200$/],
      [app.request("/jobs?limit=0"), "query.limit", /^expected a whole number from 1 to 200$/],
      [
        app.request("/queues/bad%20name/pause", { method: "POST" }),
        "path.queue",
        /letters, digits/,
      ],
      // An id no job can have: the path's, not the body's.
      [app.request("/jobs/a%00b"), "path.id", /NUL/],
      [app.request("/jobs/a%00b/cancel", { method: "POST" }), "path.id", /NUL/],
      [app.request("/jobs/a%00b/retry", { method: "POST" }), "path.id", /NUL/],
      [
        app.request("/queues/bad%20name/resume", { method: "POST" }),
        "path.queue",
        /letters, digits/,
      ],
      [
        app.request(
          "/jobs",
          json({
            name: "email.send",
            input: { to: "a@example.com" },
            runAt: "2026-12-01T10:00:00",
          }),
        ),
        "body.runAt",
        runAt,
      ],
      [
        app.request(
          "/jobs",
          json({ name: "email.send", input: { to: "a@example.com" }, runAt: 1795992523706 }),
        ),
        "body.runAt",
        runAt,
      ],
    ];
    for (const [response, path, message] of cases) {
      expect(await issues(response)).toEqual({
        status: 400,
        issues: [{ path, message: expect.stringMatching(message) }],
      });
    }
    // In the API's own words, as a query its schema refuses: no storage verb's name.
    const refused = await app.request("/queues/bad%20name/pause", { method: "POST" });
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /^(\[shiftwork\] )?invalid path$/,
    );
    expect(await count()).toBe(0);
    // Nothing stored (this Manager has no Workers, so it lists no queue of its own either).
    expect(await manager.stats()).toEqual([]);
  });

  it("cancel, retry, pause, resume, queues, stats, workers, health", async () => {
    const app = createApp(manager);
    const job = await manager.enqueue(email, { to: "a@example.com" });
    const cancelled = await app.request(`/jobs/${job.id}/cancel`, { method: "POST" });
    expect(await cancelled.json()).toMatchObject({ state: "cancelled" });
    expect((await app.request(`/jobs/${job.id}/cancel`, { method: "POST" })).status).toBe(409);
    const retried = await app.request(`/jobs/${job.id}/retry`, { method: "POST" });
    expect(await retried.json()).toMatchObject({ state: "waiting" });
    expect((await app.request(`/jobs/${job.id}/retry`, { method: "POST" })).status).toBe(409);
    expect(await (await app.request("/queues/default/pause", { method: "POST" })).json()).toEqual({
      queue: "default",
      paused: true,
    });
    expect(await (await app.request("/queues")).json()).toEqual([
      expect.objectContaining({ queue: "default", paused: true, waiting: 1 }),
    ]);
    await app.request("/queues/default/resume", { method: "POST" });
    expect(await (await app.request("/stats")).json()).toMatchObject({ total: { waiting: 1 } });
    expect(await (await app.request("/workers")).json()).toEqual([]);
    expect(await (await app.request("/health")).json()).toEqual({ ok: true });
  });

  it("a token protects every route but /health; 401s say nothing more", async () => {
    const app = createApp(manager, { token: "s3cret" });
    expect((await app.request("/health")).status).toBe(200);
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong" },
      { authorization: "Basic s3cret" },
    ];
    for (const headers of attempts) {
      const response = await app.request("/queues", { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="shiftwork"');
      expect(await response.text()).not.toContain("s3cret");
    }
    const denied = await app.request("/jobs", {
      ...json({ name: "email.send", input: { to: "a@example.com" } }),
    });
    expect(denied.status).toBe(401);
    expect(await count()).toBe(0);
    expect(
      (await app.request("/queues", { headers: { authorization: "Bearer s3cret" } })).status,
    ).toBe(200);
  });

  it("every documented route but /health answers 401 without the token, and says only that", async () => {
    const app = createApp(manager, { token: "s3cret" });
    const doc = openApiDocument({ token: true });
    let checked = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) {
        const url = path.replace("{id}", "1").replace("{queue}", "default");
        const response = await app.request(url, {
          method: method.toUpperCase(),
          ...(method === "post"
            ? { body: "{}", headers: { "content-type": "application/json" } }
            : {}),
        });
        if (path === "/health") {
          expect(response.status).toBe(200);
          continue;
        }
        expect({ route: `${method} ${path}`, status: response.status }).toEqual({
          route: `${method} ${path}`,
          status: 401,
        });
        expect(await response.json()).toEqual({ error: { message: "unauthorized" } });
        expect(response.headers.get("www-authenticate")).toBe('Bearer realm="shiftwork"');
        checked++;
      }
    }
    expect(checked).toBe(13);
    expect(await count()).toBe(0);
  });

  it("a body past the limit is 413 and stores nothing", async () => {
    const app = createApp(manager, { maxBodyBytes: 1024 });
    const response = await app.request(
      "/jobs",
      json({ name: "email.send", input: { to: "a@example.com", pad: "x".repeat(5000) } }),
    );
    expect(response.status).toBe(413);
    expect(await count()).toBe(0);
  });
});
