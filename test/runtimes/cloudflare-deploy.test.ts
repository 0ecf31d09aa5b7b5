import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const wrangler = join(root, "node_modules/.bin/wrangler");
const dir = mkdtempSync(join(tmpdir(), "shiftwork-wrangler-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
};

describe("the example on Cloudflare (root wrangler.toml)", () => {
  it("wrangler deploy --dry-run bundles it offline, with the very job module Node and Bun run", async () => {
    await promisify(execFile)(wrangler, ["deploy", "--dry-run", "--outdir", join(dir, "out")], {
      cwd: root,
      env,
      timeout: 120_000,
    });
    const bundle = readFileSync(join(dir, "out/worker.js"), "utf8");
    // examples/worker.ts imports ./jobs.ts: the same file the Node and Bun tests load.
    expect(readFileSync(join(root, "examples/worker.ts"), "utf8")).toMatch(/from "\.\/jobs\.js"/);
    for (const marker of [
      "email.send",
      "image.resize",
      "report.flaky",
      "report source unavailable",
    ]) {
      expect(bundle).toContain(marker);
    }
    expect(bundle).not.toMatch(/from ["']node:/);
  }, 180_000);

  it("wrangler dev serves it locally: enqueue over HTTP and see the job complete", async () => {
    const child = spawn(
      wrangler,
      ["dev", "--ip", "127.0.0.1", "--port", "0", "--persist-to", join(dir, "state")],
      {
        cwd: root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    try {
      let base = "";
      for (let i = 0; i < 600 && !base; i++) {
        base = /Ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? "";
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(base, output).not.toBe("");
      const created = await fetch(`${base}/jobs`, {
        method: "POST",
        body: JSON.stringify({ name: "image.resize", input: { width: 20, height: 10 } }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      expect(id).toMatch(/^images~\d+$/);
      let state = "";
      for (let i = 0; i < 200 && state !== "completed"; i++) {
        state = ((await (await fetch(`${base}/jobs/${id}`)).json()) as { state: string }).state;
        if (state !== "completed") await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(state).toBe("completed");
    } finally {
      process.kill(-(child.pid as number), "SIGTERM");
    }
  }, 120_000);
});
