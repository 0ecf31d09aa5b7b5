import { defineConfig } from "tsup";
import pkg from "./package.json" with { type: "json" };

// One entry per export subpath, read from package.json so the two cannot drift
// (test/packaging/exports.test.ts checks the result against the map and jsr.json).
const entry: Record<string, string> = {};
for (const target of Object.values(pkg.exports)) {
  if (typeof target === "string") continue;
  const out = target.import.replace(/^\.\/dist\//, "").replace(/\.js$/, "");
  entry[out] = target["shiftwork-source"];
}

export default defineConfig({
  entry,
  format: ["esm"],
  dts: true,
  // Shared chunks keep one copy of each class, so `instanceof` works across subpaths.
  splitting: true,
  clean: true,
  target: "es2022",
  platform: "neutral",
  // Keep `node:` specifiers as written (tsup strips them by default): Bun and Workers want them.
  removeNodeProtocol: false,
  // Host modules, dependencies and optional peers stay imports (subpaths included): each is
  // needed only by the entry that uses it, and a peer must be the consumer's one copy.
  external: [
    "valibot",
    "@valibot/to-json-schema",
    "tsx",
    "vitest",
    "hono",
    "@hono/node-server",
    "libsql",
    "@libsql/client",
    /^cloudflare:/,
    /^node:/,
    /^bun:/,
  ],
  esbuildOptions(options) {
    // The conformance suite and the examples import the package by name: resolve it to the
    // sources being built, so they share the chunks instead of importing the package again.
    options.conditions = ["shiftwork-source", "import", "default"];
  },
});
