import { createManager, defineJob, type Manager } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { createApp } from "shiftwork/http";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const XSS = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
const echo = defineJob({ name: "echo", input: v.unknown(), run: (input) => ({ echoed: input }) });
const broken = defineJob({
  name: "broken",
  input: v.object({ why: v.string() }),
  retry: { attempts: 1 },
  run: ({ why }) => {
    throw new Error(why);
  },
});
const hostile = defineJob({ name: XSS, input: v.unknown(), run: () => null });

// biome-ignore lint/suspicious/noExplicitAny: a Manager of this test's job module
let manager: Manager<any>;
beforeEach(async () => {
  manager = createManager({
    storage: memoryStorage(),
    scheduler: inlineScheduler(),
    jobs: [echo, broken, hostile],
    workers: { default: 1 },
  });
  await manager.start();
});
afterEach(() => manager.stop());

const settled = async (id: string, state: string) =>
  expect.poll(async () => (await manager.get(id))?.state).toBe(state);

/** The cookies a response sets, as a `cookie` header value, and the form's CSRF field. */
async function session(response: Response) {
  const cookies = response.headers.getSetCookie().map((c) => c.split(";")[0]);
  const html = await response.text();
  const csrf = /name="_csrf" value="([0-9a-f]+)"/.exec(html)?.[1];
  return { cookie: cookies.join("; "), csrf, html };
}

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields).toString(),
});

describe("dashboard (hono JSX, app.request)", () => {
  it("shows queues with counts, jobs by state with pages, and a job's details", async () => {
    const app = createApp(manager);
    const done = await manager.enqueue("echo", { n: 1 });
    const failed = await manager.enqueue("broken", { why: "disk full" });
    for (let i = 0; i < 3; i++) await manager.enqueue("echo", { n: i }, { delay: "1h" });
    await settled(done.id, "completed");
    await settled(failed.id, "failed");

    for (const path of ["/", "/dashboard"]) {
      const page = await app.request(path);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      const html = await page.text();
      expect(html).toMatch(/<tr data-queue="default">/);
      expect(html).toMatch(/data-count="waiting"><a [^>]+>3</);
      expect(html).toMatch(/data-count="completed"><a [^>]+>1</);
      expect(html).toMatch(/data-count="failed"><a [^>]+>1</);
    }

    const failedList = await (await app.request("/dashboard/jobs?state=failed")).text();
    expect(failedList).toContain(`data-job="${failed.id}"`);
    expect(failedList).not.toContain(`data-job="${done.id}"`);
    const firstPage = await (await app.request("/dashboard/jobs?limit=2")).text();
    expect(firstPage.match(/data-job=/g)).toHaveLength(2);
    const next = /rel="next" href="([^"]+)"/.exec(firstPage)?.[1]?.replaceAll("&amp;", "&");
    expect(next).toBeDefined();
    const secondPage = await (await app.request(next as string)).text();
    expect(secondPage.match(/data-job=/g)).toHaveLength(2);

    const detail = await (await app.request(`/dashboard/jobs/${failed.id}`)).text();
    expect(detail).toContain("disk full");
    expect(detail).toMatch(/<td>failed<\/td>/); // the attempt's outcome
    expect(detail).toContain(`/dashboard/jobs/${failed.id}/retry`);
    const missing = await app.request("/dashboard/jobs/9999");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/text\/html/);
    expect(await missing.text()).toContain("There is no job &quot;9999&quot;");
    expect((await app.request("/dashboard/jobs?state=nope")).status).toBe(400);
  });

  it("escapes every value: a script in a job's name, input, output and error is text", async () => {
    const app = createApp(manager);
    const a = await manager.enqueue("echo", { payload: XSS });
    const b = await manager.enqueue("broken", { why: XSS });
    const c = await manager.enqueue(XSS, XSS);
    await settled(a.id, "completed");
    await settled(b.id, "failed");
    const pages = [
      `/dashboard/jobs/${a.id}`,
      `/dashboard/jobs/${b.id}`,
      `/dashboard/jobs/${c.id}`,
      "/dashboard/jobs",
      "/dashboard",
    ];
    for (const path of pages) {
      const html = await (await app.request(path)).text();
      expect(html).not.toContain("<script>alert");
      expect(html).not.toContain("<img src=x");
    }
    const detail = await (await app.request(`/dashboard/jobs/${b.id}`)).text();
    expect(detail).toContain("&lt;script&gt;alert(");
  });

  it("buttons post forms that need the CSRF value of the browser's cookie", async () => {
    const app = createApp(manager);
    const failed = await manager.enqueue("broken", { why: "nope" });
    await settled(failed.id, "failed");
    const { cookie, csrf } = await session(await app.request(`/dashboard/jobs/${failed.id}`));
    expect(csrf).toMatch(/^[0-9a-f]{64}$/);
    const retry = `/dashboard/jobs/${failed.id}/retry`;
    const refused = [
      form({}, { cookie }),
      form({ _csrf: "0".repeat(64) }, { cookie }),
      form({ _csrf: csrf as string }), // no cookie: the value alone proves nothing
      form({ _csrf: csrf as string }, { cookie, origin: "https://evil.example" }),
      form({ _csrf: csrf as string }, { cookie, "sec-fetch-site": "cross-site" }),
    ];
    for (const init of refused) expect((await app.request(retry, init)).status).toBe(403);
    expect((await manager.get(failed.id))?.attempts).toHaveLength(1);
    const ok = await app.request(retry, form({ _csrf: csrf as string }, { cookie }));
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe(`/dashboard/jobs/${failed.id}`);
    await expect.poll(async () => (await manager.get(failed.id))?.attempts.length).toBe(2);

    const pause = await app.request(
      "/dashboard/queues/default/pause",
      form({ _csrf: csrf as string }, { cookie }),
    );
    expect(pause.status).toBe(303);
    expect((await manager.stats()).find((q) => q.queue === "default")?.paused).toBe(true);
    // The JSON API refuses cross-site POSTs as well (a form on another site needs no cookie).
    const cross = await app.request("/queues/default/resume", {
      method: "POST",
      headers: { origin: "http://evil.example", host: "localhost" },
    });
    expect(cross.status).toBe(403);
    expect((await manager.stats()).find((q) => q.queue === "default")?.paused).toBe(true);
  });

  it("a refused button or list filter answers with a page saying why and linking back, not the API's JSON", async () => {
    const app = createApp(manager);
    const failed = await manager.enqueue("broken", { why: "nope" });
    await settled(failed.id, "failed");
    const { cookie, csrf } = await session(await app.request(`/dashboard/jobs/${failed.id}`));
    const post = (path: string, fields: Record<string, string> = { _csrf: csrf as string }) =>
      app.request(path, form(fields, { cookie }));
    const page = async (response: Response) => ({
      status: response.status,
      type: response.headers.get("content-type"),
      text: await response.text(),
    });
    // Cancel of a job that already failed (a stale page, a double click): 409.
    const cancelled = await page(await post(`/dashboard/jobs/${failed.id}/cancel`));
    expect(cancelled).toMatchObject({ status: 409, type: expect.stringMatching(/^text\/html/) });
    expect(cancelled.text).toMatch(/Not done[\s\S]*cannot cancel/);
    expect(cancelled.text).toContain(`href="/dashboard/jobs/${failed.id}"`);
    // A queue name no queue has: named where the request had it, as the API names it.
    const badQueue = await page(await post("/dashboard/queues/a%20b/pause"));
    expect(badQueue).toMatchObject({ status: 400, type: expect.stringMatching(/^text\/html/) });
    expect(badQueue.text).toContain("path.queue: use letters, digits");
    const stale = await page(
      await post(`/dashboard/jobs/${failed.id}/retry`, { _csrf: "0".repeat(64) }),
    );
    expect(stale).toMatchObject({ status: 403, type: expect.stringMatching(/^text\/html/) });
    expect(stale.text).toContain("reload the page");
    // A filter the list refuses, from the schema or from the Manager: a page, with the whole list.
    for (const [query, words] of [
      ["state=bogus", "query.state: "],
      ["cursor=abc", "query.cursor: expected a cursor"],
      ["queue=a%20b", "query.queue: use letters"],
    ]) {
      const listed = await page(await app.request(`/dashboard/jobs?${query}`));
      expect(listed).toMatchObject({ status: 400, type: expect.stringMatching(/^text\/html/) });
      expect(listed.text).toContain(words);
      expect(listed.text).toContain('href="/dashboard/jobs"');
    }
  });

  it("with a token: login sets an HttpOnly, SameSite=Strict session cookie that the API and events accept", async () => {
    const app = createApp(manager, { token: "s3cret", basePath: "/jobs-admin" });
    const bounced = await app.request("/jobs-admin/dashboard", {
      headers: { accept: "text/html" },
    });
    expect(bounced.status).toBe(303);
    expect(bounced.headers.get("location")).toBe("/jobs-admin/login");
    expect((await app.request("/jobs-admin/login")).status).toBe(200);
    const wrong = await app.request("/jobs-admin/login", form({ token: "guess" }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect(await wrong.text()).not.toContain("s3cret");

    const login = await app.request("/jobs-admin/login", form({ token: "s3cret" }));
    expect(login.status).toBe(303);
    const [setCookie] = login.headers.getSetCookie();
    expect(setCookie).toMatch(/^shiftwork_session=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/jobs-admin/);
    expect(setCookie).not.toContain("s3cret");
    const cookie = (setCookie as string).split(";")[0] as string;

    expect((await app.request("/jobs-admin/dashboard", { headers: { cookie } })).status).toBe(200);
    expect((await app.request("/jobs-admin/queues", { headers: { cookie } })).status).toBe(200);
    const events = await app.request("/jobs-admin/events", { headers: { cookie } });
    expect(events.status).toBe(200);
    await events.body?.cancel();
    const forged = cookie.replace(/=.{4}/, "=AAAA");
    expect((await app.request("/jobs-admin/queues", { headers: { cookie: forged } })).status).toBe(
      401,
    );
    expect(
      (
        await app.request("/jobs-admin/queues", {
          headers: { cookie: "shiftwork_session=dashboard" },
        })
      ).status,
    ).toBe(401);
  });

  it("answers only to the configured host names (DNS rebinding)", async () => {
    const app = createApp(manager, { hosts: ["localhost", "127.0.0.1", "[::1]"] });
    const at = (host: string) => app.request("/queues", { headers: { host } });
    expect((await at("localhost:8080")).status).toBe(200);
    expect((await at("127.0.0.1:1")).status).toBe(200);
    expect((await at("[::1]:3000")).status).toBe(200);
    expect((await at("evil.example:8080")).status).toBe(403);
    expect((await at("localhost.evil.example")).status).toBe(403);
  });

  it("the API never shows a lease token", async () => {
    const slow = defineJob({
      name: "slow",
      input: v.object({}),
      run: (_, { signal }) =>
        new Promise<null>((resolve) => signal.addEventListener("abort", () => resolve(null))),
    });
    const m = createManager({
      storage: memoryStorage(),
      scheduler: inlineScheduler(),
      jobs: [slow],
      workers: { default: 1 },
    });
    await m.start();
    const job = await m.enqueue("slow", {});
    await expect.poll(async () => (await m.get(job.id))?.state).toBe("active");
    expect((await m.get(job.id))?.leaseToken).toBeTruthy();
    const app = createApp(m);
    const shown = (await (await app.request(`/jobs/${job.id}`)).json()) as Record<string, unknown>;
    expect(shown.state).toBe("active");
    expect("leaseToken" in shown).toBe(false);
    const listed = (await (await app.request("/jobs")).json()) as {
      jobs: Record<string, unknown>[];
    };
    expect(listed.jobs.every((j) => !("leaseToken" in j))).toBe(true);
    await m.stop({ graceful: false });
  });
});
