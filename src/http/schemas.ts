import * as v from "valibot";

/** One job in a request body: `{ name, input, ...enqueue options }`; the options are checked by the Manager. */
export const jobRequestSchema = v.looseObject({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  input: v.optional(v.unknown()),
});

/** `POST /jobs/batch`. */
export const batchRequestSchema = v.strictObject({
  jobs: v.pipe(v.array(jobRequestSchema), v.minLength(1), v.maxLength(1000)),
});

/** `GET /jobs` query. */
export const listQuerySchema = v.strictObject({
  state: v.optional(v.picklist(["waiting", "active", "completed", "failed", "cancelled"])),
  name: v.optional(v.pipe(v.string(), v.maxLength(200))),
  queue: v.optional(v.pipe(v.string(), v.maxLength(100))),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,4}$/, "expected a whole number"),
      v.transform(Number),
      v.minValue(1),
      v.maxValue(200),
    ),
  ),
  cursor: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,16}$/, "expected a cursor"), v.transform(Number)),
  ),
});
