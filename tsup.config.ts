import { defineConfig } from "tsup";
import pkg from "./package.json" with { type: "json" };

// One entry per export subpath, read from package.json so the two cannot drift.
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
  // Host modules and optional peers stay imports; each is needed only by the entry that uses it.
  external: [
    "vitest",
    "valibot",
    "hono",
    "libsql",
    "tsx",
    /^@libsql\//,
    /^cloudflare:/,
    /^node:/,
    /^bun:/,
  ],
  esbuildOptions(options) {
    // The conformance suite imports the package by name: resolve it to the sources being built.
    options.conditions = ["shiftwork-source", "import", "default"];
  },
});
