import * as v from "valibot";
import { type Issue, ValidationError } from "./errors.js";
import type { Json } from "./ports.js";

/** Turns valibot issues into {@link Issue}s whose paths start at `root` (e.g. `input.to`). */
export function toIssues(root: string, issues: readonly v.BaseIssue<unknown>[]): Issue[] {
  return issues.map((issue) => {
    let path = root;
    for (const item of issue.path ?? []) {
      const key = (item as { key: unknown }).key;
      path += typeof key === "number" ? `[${key}]` : path ? `.${String(key)}` : String(key);
    }
    return { path: path || "(root)", message: issue.message };
  });
}

/** Parses `value` with `schema`, or throws a {@link ValidationError} naming `what` and each field. */
export function parseOrThrow<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  what: string,
  root: string,
): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (!result.success) throw new ValidationError(what, toIssues(root, result.issues));
  return result.output;
}

const MAX_DEPTH = 64;

/**
 * Issues that keep `value` from being stored as JSON exactly: functions, symbols, BigInt, cycles,
 * non-finite numbers, `undefined` in arrays, class instances (a Date would come back as a string).
 */
export function jsonIssues(value: unknown, root: string): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<object>();
  const walk = (item: unknown, path: string, depth: number): void => {
    if (issues.length >= 10) return;
    if (item === null || typeof item === "string" || typeof item === "boolean") return;
    if (typeof item === "number") {
      if (!Number.isFinite(item)) issues.push({ path, message: `not JSON: ${item}` });
      return;
    }
    if (typeof item !== "object") {
      issues.push({ path, message: `not JSON: a ${typeof item}` });
      return;
    }
    if (depth > MAX_DEPTH) {
      issues.push({ path, message: `nested deeper than ${MAX_DEPTH} levels` });
      return;
    }
    if (seen.has(item)) {
      issues.push({ path, message: "not JSON: a cycle" });
      return;
    }
    seen.add(item);
    if (Array.isArray(item)) {
      item.forEach((element, i) => {
        if (element === undefined)
          issues.push({ path: `${path}[${i}]`, message: "not JSON: undefined" });
        else walk(element, `${path}[${i}]`, depth + 1);
      });
    } else {
      const proto = Object.getPrototypeOf(item);
      if (proto !== Object.prototype && proto !== null) {
        issues.push({
          path,
          message: `not JSON: a ${proto?.constructor?.name ?? "class"} instance`,
        });
      } else {
        for (const [key, element] of Object.entries(item)) {
          if (element !== undefined) walk(element, `${path}.${key}`, depth + 1);
        }
      }
    }
    seen.delete(item);
  };
  walk(value, root, 0);
  return issues;
}

/**
 * Whether `value` is plain JSON, without building a path or a set: the common case of every enqueue
 * answered in one allocation-free walk. A cycle shows as depth beyond {@link MAX_DEPTH}, and any
 * doubt sends the caller to {@link jsonIssues}, which says exactly what is wrong.
 */
function isPlainJson(item: unknown, depth: number): boolean {
  if (item === null || typeof item === "string" || typeof item === "boolean") return true;
  if (typeof item === "number") return Number.isFinite(item);
  if (typeof item !== "object" || depth > MAX_DEPTH) return false;
  if (Array.isArray(item)) {
    for (let i = 0; i < item.length; i++) {
      const element = item[i];
      if (element === undefined || !isPlainJson(element, depth + 1)) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(item);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in item) {
    if (!Object.hasOwn(item, key)) continue;
    const element = (item as Record<string, unknown>)[key];
    if (element !== undefined && !isPlainJson(element, depth + 1)) return false;
  }
  return true;
}

/** Returns `value` as {@link Json}, or throws a {@link ValidationError} saying what is not JSON. */
export function asJson(value: unknown, what: string, root: string): Json {
  if (value === undefined) return null;
  if (isPlainJson(value, 0)) return value as Json;
  const issues = jsonIssues(value, root);
  if (issues.length > 0) throw new ValidationError(what, issues);
  return value as Json;
}
