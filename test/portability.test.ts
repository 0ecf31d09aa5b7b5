/**
 * The core, the memory adapter and the inline scheduler must run on any JavaScript host: no
 * `node:`, `bun:` or `cloudflare:` import, no bare Node built-in. Checked twice: a scan of the
 * import specifiers (which names the offenders), and an esbuild bundle at `platform: "neutral"`
 * with nothing marked external (which catches what a scan cannot, such as a dependency's import).
 */
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { type BuildOptions, build } from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const HOST_PREFIXES = ["node:", "bun:", "cloudflare:"];
const NODE_BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith("_")));

const SPECIFIER_RE =
  /(?:\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?|\bexport\s*[\w*{}\s,$]+\s*from\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/g;

/** Drops comments, so an example in a JSDoc block is not taken for an import. */
function stripComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("//"))
    .join("\n");
}

/** Whether an import specifier names a host-specific module. */
function isHostModule(specifier: string): boolean {
  if (HOST_PREFIXES.some((prefix) => specifier.startsWith(prefix))) return true;
  if (specifier.startsWith(".") || specifier.startsWith("/")) return false;
  const [first] = specifier.split("/");
  return NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(first ?? "");
}

/** `file: specifier` for every host-specific import in `source`. */
function findHostImports(file: string, source: string): string[] {
  const found: string[] = [];
  for (const match of stripComments(source).matchAll(SPECIFIER_RE)) {
    const specifier = match[1] as string;
    if (isHostModule(specifier)) found.push(`${file}: ${specifier}`);
  }
  return found;
}

/**
 * The portable files: all of `src/`, the memory and Durable Object adapters with the shared SQL
 * core, the inline scheduler and the conformance suite.
 */
function portableFiles(): string[] {
  const src = readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join("src", name));
  const adapters = readdirSync(join(ROOT, "adapters"), { recursive: true, encoding: "utf8" })
    .filter((name) => /^(_?memory.*|durable-object|_sql\/.*)\.ts$/.test(name))
    .map((name) => join("adapters", name));
  const conformance = readdirSync(join(ROOT, "test/conformance"), {
    recursive: true,
    encoding: "utf8",
  })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join("test/conformance", name));
  return [...src, ...adapters, ...conformance, join("runtimes", "inline.ts")];
}

describe("portability", () => {
  it("the scanner flags host imports in every form, and nothing else", () => {
    const sample = [
      'import fs from "node:fs";',
      'import { join } from "path";',
      'import type { Worker } from "worker_threads";',
      'export { readFile } from "fs/promises";',
      'const sqlite = await import("bun:sqlite");',
      'import { DurableObject } from "cloudflare:workers";',
      'const os = require("os");',
      'import * as v from "valibot";',
      'import { parseDuration } from "./duration.js";',
      '// import fs from "node:fs" in a comment is fine',
      "/** @example import { x } from 'node:crypto' */",
    ].join("\n");
    expect(findHostImports("sample.ts", sample)).toEqual([
      "sample.ts: node:fs",
      "sample.ts: path",
      "sample.ts: worker_threads",
      "sample.ts: fs/promises",
      "sample.ts: bun:sqlite",
      "sample.ts: cloudflare:workers",
      "sample.ts: os",
    ]);
  });

  it("no file of the core, the memory adapter or the inline scheduler imports a host module", () => {
    const files = portableFiles();
    expect(files).toContain(join("src", "manager.ts"));
    expect(files).toContain(join("src", "host", "executor.ts"));
    expect(files).toContain(join("adapters", "_memory.ts"));
    expect(files).toContain(join("adapters", "_sql", "verbs.ts"));
    expect(files).toContain(join("adapters", "durable-object.ts"));
    expect(files).toContain(join("test", "conformance", "storage.ts"));
    const offenders = files.flatMap((file) =>
      findHostImports(relative(ROOT, join(ROOT, file)), readFileSync(join(ROOT, file), "utf8")),
    );
    expect(offenders).toEqual([]);
  });

  const neutral: BuildOptions & { write: false } = {
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    platform: "neutral",
    format: "esm",
    mainFields: ["module", "main"],
    logLevel: "silent",
  };

  it("bundles at platform neutral with no Node built-in external", async () => {
    const result = await build({
      ...neutral,
      entryPoints: [
        "src/index.ts",
        "adapters/memory.ts",
        "adapters/durable-object.ts",
        "runtimes/inline.ts",
        "test/conformance/index.ts",
      ],
      outdir: "out",
      // The suite's test runner is a peer the user brings; everything else must bundle.
      external: ["vitest"],
      conditions: ["shiftwork-source"],
    });
    expect(result.errors).toEqual([]);
    expect(
      (result.outputFiles ?? []).map((f) => relative(join(ROOT, "out"), f.path)).sort(),
    ).toEqual([
      join("adapters", "durable-object.js"),
      join("adapters", "memory.js"),
      join("runtimes", "inline.js"),
      join("src", "index.js"),
      join("test", "conformance", "index.js"),
    ]);
    // valibot is bundled in, not left as an import.
    const index = result.outputFiles?.find((f) => f.path.endsWith("index.js"))?.text ?? "";
    expect(index).not.toMatch(/from\s*["']valibot["']/);
  });

  it("the libSQL adapter bundles for Workers: its remote path (@libsql/client/web) needs no Node built-in", async () => {
    const result = await build({
      ...neutral,
      entryPoints: ["adapters/libsql.ts"],
      outdir: "out",
      conditions: ["shiftwork-source", "workerd", "worker", "browser"],
    });
    expect(result.errors).toEqual([]);
    const text = result.outputFiles?.[0]?.text ?? "";
    expect(text).not.toMatch(/from\s*["']node:/);
    // The file path's binding is loaded by a specifier bundlers do not follow.
    expect(text).toContain('"libsql"');
  });

  it("the same bundle fails on a Node built-in, so the check bites", async () => {
    const failing = build({
      ...neutral,
      stdin: { contents: 'import fs from "node:fs"; export default fs;', resolveDir: ROOT },
    });
    await expect(failing).rejects.toThrow(/node:fs/);
  });
});
