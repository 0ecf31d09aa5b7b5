import { Validator } from "@seriousme/openapi-schema-validator";
import { createManager, defineJob } from "shiftwork";
import { memoryStorage } from "shiftwork/adapters/memory";
import { createApp } from "shiftwork/http";
import { inlineScheduler } from "shiftwork/runtimes/inline";
import * as v from "valibot";
import { describe, expect, it } from "vitest";

const manager = createManager({
  storage: memoryStorage(),
  scheduler: inlineScheduler(),
  jobs: [defineJob({ name: "noop", input: v.object({}), run: () => null })],
  workers: {},
});

/** The app's own API routes as `METHOD /path/{param}` (dashboard pages and forms aside). */
function apiRoutes(app: ReturnType<typeof createApp>, base = ""): string[] {
  const seen = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue; // middleware
    const path = route.path.slice(base.length) || "/";
    if (path === "/" || path.startsWith("/dashboard") || /^\/log(in|out)$/.test(path)) continue;
    seen.add(`${route.method} ${base}${path.replace(/:(\w+)/g, "{$1}")}`);
  }
  return [...seen].sort();
}

function documented(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

describe("GET /openapi.json", () => {
  interface Op {
    operationId: string;
    responses: Record<string, unknown>;
  }

  it("is a valid OpenAPI 3.1 document that lists every route of the app", async () => {
    for (const [base, token, hosts] of [
      ["", undefined, undefined],
      ["/shiftwork", "t0ken", ["localhost"]],
    ] as const) {
      const app = createApp(manager, { basePath: base, token, ...(hosts ? { hosts } : {}) });
      const headers: Record<string, string> = token
        ? { authorization: `Bearer ${token}`, host: "localhost" }
        : {};
      const response = await app.request(`${base}/openapi.json`, { headers });
      expect(response.status).toBe(200);
      const doc = await response.json();
      const result = await new Validator().validate(doc);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      expect((doc as { openapi: string }).openapi).toBe("3.1.0");
      expect(documented(doc)).toEqual(apiRoutes(app, base));
      expect(documented(doc)).toHaveLength(14);
      // What the app answers besides success: 401 only with a token (and the scheme named only
      // then), 403 for every POST (cross-site).
      const text = JSON.stringify(doc);
      expect(text.includes('"securitySchemes"')).toBe(token !== undefined);
      const ops = Object.values(
        (doc as { paths: Record<string, Record<string, Op>> }).paths,
      ).flatMap((methods) => Object.entries(methods));
      for (const [method, op] of ops) {
        const codes = Object.keys(op.responses);
        expect(codes.includes("403")).toBe(method === "post" || hosts !== undefined);
        expect(codes.includes("401")).toBe(token !== undefined && op.operationId !== "getHealth");
      }
      // No alternative listed twice (runAt's ISO string and Date are one string over HTTP).
      const walk = (node: unknown): void => {
        if (typeof node !== "object" || node === null) return;
        const { anyOf } = node as { anyOf?: unknown[] };
        if (anyOf) {
          const entries = anyOf.map((e) => JSON.stringify(e));
          expect(new Set(entries).size).toBe(entries.length);
        }
        for (const value of Object.values(node)) walk(value);
      };
      walk(doc);
      expect(text).toContain('"runAt":{"type":"string","format":"date-time"}');
    }
  });

  it("describes request bodies and queries from the schemas that validate them", async () => {
    interface SchemaObject {
      required?: string[];
      properties: Record<string, unknown>;
      additionalProperties?: unknown;
    }
    interface Parameter {
      name: string;
      schema: { enum?: string[] };
    }
    const doc = (await (await createApp(manager).request("/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: { content: Record<string, { schema: SchemaObject }> };
            parameters?: Parameter[];
          }
        >
      >;
    };
    const body = doc.paths["/jobs"]?.post?.requestBody?.content["application/json"]
      ?.schema as SchemaObject;
    expect(body.required).toEqual(["name"]);
    expect(Object.keys(body.properties).sort()).toEqual(
      ["attempts", "delay", "input", "key", "name", "priority", "queue", "runAt"].sort(),
    );
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.priority).toMatchObject({ type: "integer", maximum: 1_000_000 });
    expect(JSON.stringify(body.properties.delay)).toContain("ms|s|m|h|d");
    const params = doc.paths["/jobs"]?.get?.parameters ?? [];
    expect(params.map((p) => p.name).sort()).toEqual(
      ["cursor", "limit", "name", "queue", "state"].sort(),
    );
    const state = params.find((p) => p.name === "state");
    expect(state?.schema.enum).toEqual(["waiting", "active", "completed", "failed", "cancelled"]);
  });

  it("a document that breaks the 3.1 rules is refused by the same validator", async () => {
    const doc = (await (await createApp(manager).request("/openapi.json")).json()) as Record<
      string,
      unknown
    >;
    const broken = {
      ...doc,
      paths: { "/jobs": { get: { parameters: [{ name: "state", schema: {} }], responses: {} } } },
    };
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });
});
