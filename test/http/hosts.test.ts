/**
 * The same API answers from `shiftwork start` on Node and on real Bun: one smoke test per runtime
 * (health, OpenAPI, enqueue to completion, events, dashboard, auth).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listeningAt, startHost } from "../_cli-host.js";

const dir = mkdtempSync(join(tmpdir(), "shiftwork-hosts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = "smoke-token";

describe.each(["node", "bun"] as const)(
  "the HTTP API served by shiftwork start on %s",
  (runtime) => {
    it("answers every kind of route", async () => {
      const host = startHost(["--db", `file:${join(dir, `${runtime}.db`)}`], runtime, {
        SHIFTWORK_TOKEN: TOKEN,
      });
      try {
        const base = await listeningAt(host);
        expect(host.output()).toContain(
          runtime === "bun" ? "(Bun workers)" : "(Node worker_threads)",
        );
        const auth = { authorization: `Bearer ${TOKEN}` };
        const call = (path: string, init: RequestInit = {}) =>
          fetch(`${base}${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });

        expect((await fetch(`${base}/health`)).status).toBe(200);
        expect((await fetch(`${base}/queues`)).status).toBe(401);
        const doc = (await (await call("/openapi.json")).json()) as { openapi: string };
        expect(doc.openapi).toBe("3.1.0");

        const events = await call("/events?queue=default");
        expect(events.headers.get("content-type")).toContain("text/event-stream");
        const reader = (events.body as ReadableStream<Uint8Array>).getReader();
        const first = new TextDecoder().decode((await reader.read()).value);
        expect(first).toContain("event: ready");

        const created = await call("/jobs", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            name: "email.send",
            input: { to: "a@example.com", subject: "hi" },
          }),
        });
        expect(created.status).toBe(201);
        const { id } = (await created.json()) as { id: string };
        // The stream carries the job's events as they happen.
        let seen = first;
        while (!seen.includes("event: completed")) {
          const { value, done } = await reader.read();
          if (done) break;
          seen += new TextDecoder().decode(value);
        }
        expect(seen).toContain(`"jobId":"${id}"`);
        await reader.cancel();
        const job = (await (await call(`/jobs/${id}`)).json()) as { state: string };
        expect(job.state).toBe("completed");

        const bad = await call("/jobs", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "email.send", input: { to: "nope" } }),
        });
        expect(bad.status).toBe(400);
        const page = await call("/dashboard");
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('data-queue="default"');
        // Loopback hosts answer only to loopback names (fetch cannot set Host: node:http can).
        const url = new URL(`${base}/queues`);
        const status = await new Promise<number | undefined>((resolve, reject) => {
          const headers = { ...auth, host: "evil.example" };
          get({ host: url.hostname, port: url.port, path: url.pathname, headers }, (response) => {
            response.resume();
            resolve(response.statusCode);
          }).on("error", reject);
        });
        expect(status).toBe(403);
      } finally {
        host.child.kill("SIGTERM");
        await host.exited;
      }
    }, 60_000);
  },
);
