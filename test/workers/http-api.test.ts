// The HTTP API and dashboard of shiftwork/http, served by the Cloudflare Worker over queue objects.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const at = (path: string, init?: RequestInit) => SELF.fetch(`https://queue.test${path}`, init);
const post = (path: string, body?: unknown) =>
  at(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
interface Job {
  id: string;
  state: string;
  queue: string;
}
const email = (to: string, queue: string, extra: Record<string, unknown> = {}) => ({
  name: "email.send",
  input: { to, subject: "hi" },
  queue,
  ...extra,
});

async function until(id: string, state: string): Promise<Job> {
  for (let i = 0; i < 300; i++) {
    const job = (await (await at(`/jobs/${encodeURIComponent(id)}`)).json()) as Job;
    if (job.state === state) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} never became ${state}`);
}

/** Reads SSE frames until `until` is satisfied; returns the event names and data. */
async function readEvents(
  response: Response,
  until: (events: [string, Record<string, unknown>][]) => boolean,
) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: [string, Record<string, unknown>][] = [];
  let text = "";
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    for (let end = text.indexOf("\n\n"); end >= 0; end = text.indexOf("\n\n")) {
      const frame = text.slice(0, end);
      text = text.slice(end + 2);
      const name = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (name) events.push([name, data ? JSON.parse(data) : undefined]);
    }
  }
  await reader.cancel();
  return events;
}

describe("HTTP API in workerd (queueWorker over Durable Objects)", () => {
  it("answers the same routes: health, openapi, enqueue, batch, get, cancel, retry, stats, workers", async () => {
    expect(await (await at("/health")).json()).toEqual({ ok: true });
    const doc = (await (await at("/openapi.json")).json()) as { openapi: string; paths: object };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/jobs/{id}/retry");

    const created = await post("/jobs", email("a@example.com", "qa"));
    expect(created.status).toBe(201);
    const job = (await created.json()) as Job & { leaseToken?: string };
    expect(job.id).toMatch(/^qa~\d+$/);
    expect("leaseToken" in job).toBe(false);
    await until(job.id, "completed");

    const batch = await post("/jobs/batch", {
      jobs: [
        email("b1@example.com", "qb", { delay: "1h" }),
        email("b2@example.com", "qb", { delay: "1h" }),
      ],
    });
    expect(batch.status).toBe(201);
    const [first, second] = ((await batch.json()) as { jobs: Job[] }).jobs;
    expect(first?.queue).toBe("qb");
    const cancelled = (await (await post(`/jobs/${first?.id}/cancel`)).json()) as Job;
    expect(cancelled.state).toBe("cancelled");
    expect((await post(`/jobs/${first?.id}/cancel`)).status).toBe(409);
    expect(((await (await post(`/jobs/${first?.id}/retry`)).json()) as Job).state).toBe("waiting");
    expect((await post(`/jobs/${second?.id}/retry`)).status).toBe(409);
    expect((await post("/jobs/qb~99999/retry")).status).toBe(404);

    const stats = (await (await at("/stats")).json()) as {
      total: { waiting: number };
      queues: { queue: string; waiting: number }[];
    };
    expect(stats.queues.find((q) => q.queue === "qb")?.waiting).toBeGreaterThanOrEqual(1);
    expect(await (await at("/workers")).json()).toEqual([]);
  });

  it("rejects bad input with the same codes; a batch across shards is refused whole", async () => {
    expect((await post("/jobs", { name: "email.send", input: {}, colour: 1 })).status).toBe(400);
    // An unknown job is a 422 naming the field that named it, in a batch too (as on Node).
    const unknown = async (response: Response) => ({
      status: response.status,
      issues: ((await response.json()) as { error: { issues?: { path: string }[] } }).error.issues,
    });
    expect(await unknown(await post("/jobs", { name: "nope", input: {} }))).toEqual({
      status: 422,
      issues: [{ path: "body.name", message: 'unknown job "nope"' }],
    });
    const mixed = { jobs: [email("m@example.com", "qb"), { name: "nope", input: {} }] };
    expect(await unknown(await post("/jobs/batch", mixed))).toEqual({
      status: 422,
      issues: [{ path: "body.jobs[1].name", message: 'unknown job "nope"' }],
    });
    expect((await at("/jobs?limit=0")).status).toBe(400);
    expect((await at("/jobs?cursor=elsewhere~1")).status).toBe(400);
    const spread = await post("/jobs/batch", {
      jobs: Array.from({ length: 8 }, (_, i) =>
        email(`k${i}@example.com`, "sharded", { key: `key-${i}` }),
      ),
    });
    expect(spread.status).toBe(400);
    const listed = (await (await at("/jobs?queue=sharded&limit=200")).json()) as { jobs: Job[] };
    expect(listed.jobs.filter((j) => j.id.includes("key-"))).toEqual([]);
  });

  it("names a refused field where the request had it, as on Node; a repeated parameter is refused", async () => {
    const issues = async (response: Response) => ({
      status: response.status,
      issues: (
        (await response.json()) as { error: { issues?: { path: string }[] } }
      ).error.issues?.map((i) => i.path),
    });
    // Refused by the object's Manager (a NUL), by the router (a queue name), by the query schema.
    const cases: [Promise<Response>, string][] = [
      [at("/jobs?name=a%00b"), "query.name"],
      [at("/jobs?queue=a%20b"), "query.queue"],
      [post("/queues/a%20b/pause"), "path.queue"],
      [post("/queues/a%20b/resume"), "path.queue"],
      [at("/jobs?state=failed&state=completed"), "query.state"],
    ];
    for (const [response, path] of cases) {
      expect(await issues(await response)).toEqual({ status: 400, issues: [path] });
    }
    // The dashboard's list says the same on a page (a browser typed the filter).
    const listed = await at("/dashboard/jobs?name=a%00b");
    expect([listed.status, listed.headers.get("content-type")]).toEqual([
      400,
      expect.stringMatching(/^text\/html/),
    ]);
    expect(await listed.text()).toContain("query.name: ");
  });

  it("GET /jobs pages through every shard of a queue, newest first, each job once", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const job = (await (
        await post("/jobs", email(`l${i}@example.com`, "sharded", { delay: "1h" }))
      ).json()) as Job;
      ids.add(job.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/jobs?queue=sharded&state=waiting&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = (await (await at(query)).json()) as { jobs: Job[]; nextCursor: string | null };
      if (!page.jobs) throw new Error(`${query}: ${JSON.stringify(page)}`);
      expect(page.jobs.length).toBeLessThanOrEqual(3);
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
    expect(new Set(seen.map((id) => id.split("~")[0])).size).toBeGreaterThan(1);
  });

  it("GET /events streams a queue's job events from its object", async () => {
    const response = await at("/events?queue=listing");
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reading = readEvents(response, (events) => events.some(([name]) => name === "completed"));
    const job = (await (await post("/jobs", email("e@example.com", "listing"))).json()) as Job;
    const events = await reading;
    expect(events[0]?.[0]).toBe("ready");
    const names = events.slice(1).map(([name]) => name);
    expect(names).toContain("enqueued");
    expect(names.at(-1)).toBe("completed");
    for (const [, data] of events.slice(1)) expect(data?.jobId).toBe(job.id);
  });

  it("serves the dashboard, escaped", async () => {
    const job = (await (
      await post(
        "/jobs",
        email("x@example.com", "qa", { delay: "1h", key: "<script>alert(1)</script>" }),
      )
    ).json()) as Job;
    const overview = await at("/dashboard");
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain('data-queue="qa"');
    const page = await (await at(`/dashboard/jobs/${encodeURIComponent(job.id)}`)).text();
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).not.toContain("<script>alert(1)");
  });
});
