import { defineConfig } from "vitest/config";

/** Config of the child run that puts broken adapters through the conformance suite. */
export default defineConfig({
  resolve: { conditions: ["shiftwork-source"] },
  ssr: { resolve: { conditions: ["shiftwork-source"] } },
  test: {
    include: ["test/meta/fixtures/*.test.ts"],
    root: new URL("../..", import.meta.url).pathname,
  },
});
