/**
 * The dashboard in real headless Chromium (Debian's `chromium`, driven by playwright-core) against
 * a running Node host (`shiftwork start`, worker threads, a libSQL file).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Host, listeningAt, startHost } from "../_cli-host.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../test-results/browser", import.meta.url));
const TOKEN = "browser-test-token";
const XSS = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`;
// Under CI a missing browser is a failure, never a skip.
const missing = !existsSync(CHROMIUM) && !process.env.CI;

describe.skipIf(missing)("dashboard in headless Chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "shiftwork-browser-"));
  let host: Host;
  let base: string;
  let browser: Browser;

  const api = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    });
    return (await response.json()) as Record<string, unknown>;
  };
  const enqueue = (name: string, input: unknown) =>
    api("/jobs", { method: "POST", body: JSON.stringify({ name, input }) }) as Promise<{
      id: string;
    }>;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);
    mkdirSync(ARTIFACTS, { recursive: true });
    host = startHost(
      ["--jobs", "test/browser/fixtures/jobs.ts", "--db", `file:${join(dir, "jobs.db")}`],
      "node",
      { SHIFTWORK_TOKEN: TOKEN },
    );
    base = await listeningAt(host);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    host?.child.kill("SIGTERM");
    await host?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs in, watches a job complete live, and retries a failed job until it completes", async () => {
    const page = await browser.newPage();
    let navigations = 0;
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });

    // A protected dashboard sends a browser to its login form; the cookie it sets opens the rest.
    await page.goto(`${base}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${base}/dashboard`);

    // A job enqueued while its page is open completes on the page without a reload.
    const slow = await enqueue("greet.slow", { who: "chromium", ms: 1500 });
    await page.goto(`${base}/dashboard/jobs/${slow.id}`);
    await page.waitForSelector("#live:text('live')");
    const before = navigations;
    await page.waitForSelector("h1 .state-completed", { timeout: 15_000 });
    expect(navigations).toBe(before);
    expect(await page.textContent("#output")).toContain("hello chromium");

    // A failed job, whose input and error carry markup: shown as text, never run.
    const marker = join(dir, "flip.marker");
    const flip = await enqueue("flip", { marker, note: XSS });
    await expect
      .poll(async () => (await api(`/jobs/${flip.id}`)).state, { timeout: 15_000 })
      .toBe("failed");
    await page.goto(`${base}/dashboard/jobs/${flip.id}`);
    await page.waitForSelector("h1 .state-failed");
    expect(await page.textContent("#input")).toContain("<script>window.__pwned = 1</script>");
    expect(await page.textContent("#error")).toContain(XSS);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.screenshot({ path: join(ARTIFACTS, "failed-job.png"), fullPage: true });

    // Retry: the form posts, the page comes back, and the job runs again to completion.
    await page.click('button:text("Retry")');
    await page.waitForSelector("h1 .state-completed", { timeout: 15_000 });
    const outcomes = await page.$$eval("#attempts tbody tr td:nth-child(4)", (cells) =>
      cells.map((cell) => cell.textContent),
    );
    expect(outcomes).toEqual(["failed", "completed"]);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();

    // The queue overview counts both jobs as completed.
    await page.goto(`${base}/dashboard`);
    expect(await page.textContent('tr[data-queue="default"] td[data-count="completed"]')).toBe("2");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
    expect(existsSync(join(ARTIFACTS, "dashboard.png"))).toBe(true);
  }, 90_000);
});
