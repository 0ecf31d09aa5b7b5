/**
 * The OpenAPI 3.1 document of the API, generated from the valibot schemas that validate requests.
 * @module
 */
import { type JsonSchema, toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import { durationSchema } from "../duration.js";
import { WORKER_STATES } from "../worker.js";
import {
  batchRequestSchema,
  errorBodySchema,
  eventsQuerySchema,
  jobPageSchema,
  jobRequestSchema,
  jobSchema,
  listQuerySchema,
  queueStatsSchema,
} from "./schemas.js";

type Schema = v.GenericSchema;
type Query =
  | v.ObjectSchema<v.ObjectEntries, undefined>
  | v.StrictObjectSchema<v.ObjectEntries, undefined>;

/** One operation of the API, as the document describes it. */
interface Operation {
  method: "get" | "post";
  path: string;
  summary: string;
  body?: Schema;
  query?: Query;
  /** Success status and body (`null`: not JSON). */
  ok: [number, Schema | null, string?];
  errors?: number[];
}

const ok = v.object({ ok: v.boolean() });
const worker = v.object({
  id: v.string(),
  serves: v.string(),
  queue: v.string(),
  state: v.picklist(WORKER_STATES),
  currentJobId: v.nullable(v.string()),
});
const paused = v.object({ queue: v.string(), paused: v.boolean() });
const totals = v.omit(queueStatsSchema, ["queue", "paused"]);

/** Every route of `createApp`; a test checks this list against the app's own routes. */
export const OPERATIONS: readonly Operation[] = [
  { method: "get", path: "/health", summary: "Liveness; needs no token", ok: [200, ok] },
  {
    method: "post",
    path: "/jobs",
    summary: "Enqueue a job",
    body: jobRequestSchema,
    ok: [201, jobSchema],
    errors: [400, 413, 422],
  },
  {
    method: "post",
    path: "/jobs/batch",
    summary: "Enqueue jobs, all or nothing",
    body: batchRequestSchema,
    ok: [201, v.object({ jobs: v.array(jobSchema) })],
    errors: [400, 413, 422],
  },
  {
    method: "get",
    path: "/jobs",
    summary: "List jobs, newest first",
    query: listQuerySchema,
    ok: [200, jobPageSchema],
    errors: [400],
  },
  {
    method: "get",
    path: "/jobs/{id}",
    summary: "One job",
    ok: [200, jobSchema],
    errors: [400, 404],
  },
  {
    method: "post",
    path: "/jobs/{id}/cancel",
    summary: "Cancel a waiting or active job",
    ok: [200, jobSchema],
    errors: [400, 404, 409],
  },
  {
    method: "post",
    path: "/jobs/{id}/retry",
    summary: "Run a failed or cancelled job again",
    ok: [200, jobSchema],
    errors: [400, 404, 409],
  },
  {
    method: "get",
    path: "/queues",
    summary: "Counts by queue",
    ok: [200, v.array(queueStatsSchema)],
  },
  {
    method: "post",
    path: "/queues/{queue}/pause",
    summary: "Pause a queue in every process",
    ok: [200, paused],
    errors: [400],
  },
  {
    method: "post",
    path: "/queues/{queue}/resume",
    summary: "Resume a queue",
    ok: [200, paused],
    errors: [400],
  },
  {
    method: "get",
    path: "/workers",
    summary: "Each worker's state and current job",
    ok: [200, v.array(worker)],
  },
  {
    method: "get",
    path: "/stats",
    summary: "Counts, in total and by queue",
    ok: [200, v.object({ total: totals, queues: v.array(queueStatsSchema) })],
  },
  {
    method: "get",
    path: "/events",
    summary: "Job events as Server-Sent Events (event name = event type)",
    query: eventsQuerySchema,
    ok: [200, null, "text/event-stream"],
    errors: [400, 501],
  },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    ok: [200, v.record(v.string(), v.unknown())],
  },
];

/** JSON Schema of a request or response schema: the input side of transforms. */
function jsonSchema(schema: Schema): JsonSchema {
  const { $schema: _drop, ...rest } = toJsonSchema(schema, {
    target: "draft-2020-12",
    typeMode: "input",
    errorMode: "ignore",
    overrideSchema: ({ valibotSchema }) => {
      // In input mode a pipe is converted from its first schema (`unknown` for a duration), so
      // a duration is recognised by the optional that wraps it.
      const inner =
        valibotSchema.type === "optional"
          ? (valibotSchema as v.OptionalSchema<v.GenericSchema, undefined>).wrapped
          : valibotSchema;
      if (inner === durationSchema) {
        return {
          anyOf: [
            { type: "number", minimum: 0, description: "milliseconds" },
            { type: "string", pattern: "^\\d+(\\.\\d+)?(ms|s|m|h|d)$" },
          ],
        };
      }
      // A Date object is accepted in process; over HTTP it is an ISO 8601 string.
      if (valibotSchema.type === "date") return { type: "string", format: "date-time" };
      return undefined;
    },
  });
  return oneOfEach(rest) as JsonSchema;
}

/**
 * A schema with each `anyOf` holding distinct entries, and one of a single entry replaced by it:
 * `runAt` takes an ISO string or a Date, and over HTTP both are the same date-time string.
 */
function oneOfEach(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(oneOfEach);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = oneOfEach(value);
  if (Array.isArray(out.anyOf)) {
    const seen = new Map(out.anyOf.map((entry) => [JSON.stringify(entry), entry]));
    const { anyOf: _, ...others } = out;
    if (seen.size === 1) return { ...others, ...(seen.values().next().value as object) };
    out.anyOf = [...seen.values()];
  }
  return out;
}

const unwrap = (schema: v.GenericSchema): v.GenericSchema =>
  schema.type === "optional"
    ? (schema as v.OptionalSchema<v.GenericSchema, undefined>).wrapped
    : schema;

const STATUS_TEXT: Record<number, string> = {
  400: "Invalid input; `issues` name each field (`body.…`, `query.…`, `path.…`)",
  401: "Missing or wrong token",
  403: "A cross-site POST, or a Host not allowed",
  404: "No such job",
  409: "The job is not in a state that allows this",
  413: "Body too large",
  422: "Unknown job name",
  501: "This host does not stream events",
};

/** An OpenAPI 3.1 document, as {@link openApiDocument} makes it. */
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
}

/** The OpenAPI 3.1 document; `basePath` is where the app is mounted. */
export function openApiDocument(
  options: { basePath?: string; token?: boolean; hosts?: boolean } = {},
): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const errors = [
      ...(op.errors ?? []),
      ...(options.token && op.path !== "/health" ? [401] : []),
      // A POST from another site (its Origin, or Sec-Fetch-Site: cross-site) is refused, and with
      // `hosts` any request to another Host.
      ...(op.method === "post" || options.hosts ? [403] : []),
    ].sort((a, b) => a - b);
    const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const queryParams = op.query
      ? Object.entries(op.query.entries).map(([name, schema]) => ({
          name,
          in: "query",
          required: schema.type !== "optional",
          schema: jsonSchema(unwrap(schema)),
        }))
      : [];
    const [status, body, mediaType = "application/json"] = op.ok;
    const responses: Record<string, unknown> = {
      [status]: {
        description: "Success",
        content: { [mediaType]: { schema: body ? jsonSchema(body) : { type: "string" } } },
      },
    };
    for (const code of errors) {
      responses[code] = {
        description: STATUS_TEXT[code] ?? "Error",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
    }
    const path = `${options.basePath ?? ""}${op.path}`;
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[op.method] = {
      summary: op.summary,
      operationId: `${op.method}${op.path.replace(/[{}]/g, "").replace(/[/.](\w)/g, (_, c: string) => c.toUpperCase())}`,
      ...(pathParams.length + queryParams.length
        ? { parameters: [...pathParams, ...queryParams] }
        : {}),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: jsonSchema(op.body) } },
            },
          }
        : {}),
      responses,
      ...(options.token && op.path !== "/health" ? { security: [{ bearer: [] }] } : {}),
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "shiftwork",
      version: "0.1.0",
      description: "Background jobs: enqueue, inspect, cancel and retry jobs; pause queues.",
    },
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema) },
      // Declared only where it is used: a document of an open API names no scheme.
      ...(options.token ? { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } } : {}),
    },
  };
}
