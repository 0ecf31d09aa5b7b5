import { defineConfig } from "vitest/config";

// Tests import the package by its name; the "shiftwork-source" export condition points those
// imports at the TypeScript sources, so no build is needed before testing.
export default defineConfig({
  resolve: { conditions: ["shiftwork-source"] },
  ssr: { resolve: { conditions: ["shiftwork-source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/meta/fixtures/**", "node_modules/**"],
    testTimeout: 20_000,
  },
});
