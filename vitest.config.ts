import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Tests import the package by its name; the "shiftwork-source" export condition points those
// imports at the TypeScript sources, so no build is needed before testing.
const conditions = ["shiftwork-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    testTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/meta/fixtures/**", "test/workers/**", "node_modules/**"],
        },
      },
      {
        // The workerd tier: runs inside the Workers runtime (miniflare), not in Node.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./test/workers/wrangler.toml" },
            // The fan-out runner is reached through a service binding to this named entrypoint.
            additionalExports: { JobRunner: "WorkerEntrypoint" },
          }),
        ],
        resolve: { conditions: [...conditions, "workerd", "worker", "browser"] },
        ssr: { resolve: { conditions: [...conditions, "workerd", "worker", "browser"] } },
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          testTimeout: 30_000,
          // Two files call abortAllDurableObjects(), which resets every object in the runtime:
          // one file at a time, so one file's aborts never land in another's test.
          fileParallelism: false,
        },
      },
    ],
  },
});
