/** @jsxImportSource hono/jsx */
/**
 * The dashboard's page frame: navigation, styles and the small script that keeps a page live.
 * @module
 */

import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { JOB_EVENT_TYPES } from "../../events.js";

/** Events that change what a page shows (log lines and refused writes do not). */
const LIVE_TYPES = JOB_EVENT_TYPES.filter((type) => type !== "log" && type !== "stale");

/** What every page knows about where it is served. */
export interface PageContext {
  /** The app's mount point ("" at the root). */
  base: string;
  /** The double-submit value every form posts back as `_csrf`. */
  csrf: string;
  /** Whether a token protects the app (then a logout button is shown). */
  protected: boolean;
}

const STYLE = `
:root{font-family:system-ui,sans-serif;color:#1b1f24;background:#f6f7f9}
body{margin:0}header{background:#1b1f24;color:#fff;padding:.6rem 1rem;display:flex;gap:1.2rem;align-items:center}
header a{color:#fff;text-decoration:none}header .grow{flex:1}main{padding:1rem;max-width:72rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.35rem .6rem;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{font-weight:600;font-size:.85rem;color:#57606a}pre{background:#fff;border:1px solid #e3e6ea;padding:.6rem;overflow:auto;max-height:24rem;white-space:pre-wrap;word-break:break-all}
.state{display:inline-block;padding:0 .4rem;border-radius:.3rem;font-size:.85rem;background:#e3e6ea}
.state-completed{background:#d2f4dc}.state-failed{background:#ffd8d3}.state-active{background:#d6e8ff}.state-cancelled{background:#eee}
form.inline{display:inline}button{cursor:pointer}nav.filters a{margin-right:.6rem}.muted{color:#57606a}
#live{font-size:.8rem}`;

/**
 * Keeps a page live: on a job event (or every 5 s, for other processes' work) it fetches the same
 * page again and swaps its `<main>`. It also turns completed counts into a rate per minute.
 */
const SCRIPT = `
(() => {
  const main = document.querySelector("main");
  const base = main.dataset.base, filter = main.dataset.events;
  const live = document.getElementById("live");
  const seen = {};
  const rates = () => {
    const now = Date.now();
    for (const cell of document.querySelectorAll("[data-rate]")) {
      const q = cell.dataset.rate, done = Number(cell.dataset.completed);
      const first = seen[q] ??= { t: now, done };
      const minutes = (now - first.t) / 60000;
      cell.textContent = minutes > 0.05 ? Math.round((done - first.done) / minutes) + "/min" : "…";
    }
  };
  let timer;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const res = await fetch(location.href, { headers: { accept: "text/html" }, credentials: "same-origin" });
        if (!res.ok) return;
        const next = new DOMParser().parseFromString(await res.text(), "text/html").querySelector("main");
        if (next) { main.innerHTML = next.innerHTML; rates(); }
      } catch {}
    }, 150);
  };
  rates();
  setInterval(refresh, 5000);
  const source = new EventSource(base + "/events" + (filter || ""));
  source.addEventListener("ready", () => { live.textContent = "live"; });
  source.onerror = () => { live.textContent = "reconnecting…"; };
  source.onmessage = refresh;
  for (const type of ${JSON.stringify(LIVE_TYPES)}) source.addEventListener(type, refresh);
})();`;

/** The frame around every dashboard page. */
export function Layout(props: {
  ctx: PageContext;
  title: string;
  /** Query string of `/events` for this page, e.g. `?job=42`. */
  events?: string;
  children: Child;
}) {
  const { base } = props.ctx;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>{`${props.title} · shiftwork`}</title>
        <style>{raw(STYLE)}</style>
      </head>
      <body>
        <header>
          <strong>shiftwork</strong>
          <a href={`${base}/dashboard`}>Queues</a>
          <a href={`${base}/dashboard/jobs`}>Jobs</a>
          <a href={`${base}/openapi.json`}>API</a>
          <span class="grow" />
          <span id="live" class="muted">
            connecting…
          </span>
          {props.ctx.protected ? (
            <form class="inline" method="post" action={`${base}/logout`}>
              <input type="hidden" name="_csrf" value={props.ctx.csrf} />
              <button type="submit">Log out</button>
            </form>
          ) : null}
        </header>
        <main data-base={base} data-events={props.events ?? ""}>
          {props.children}
        </main>
        <script>{raw(SCRIPT)}</script>
      </body>
    </html>
  );
}

/** A POST button carrying the CSRF value. */
export function Action(props: { ctx: PageContext; action: string; label: string }) {
  return (
    <form class="inline" method="post" action={`${props.ctx.base}${props.action}`}>
      <input type="hidden" name="_csrf" value={props.ctx.csrf} />
      <button type="submit">{props.label}</button>
    </form>
  );
}

/** A job state as a coloured label. */
export function State(props: { state: string }) {
  return <span class={`state state-${props.state}`}>{props.state}</span>;
}

/** Milliseconds since the epoch as an ISO date, or a dash. */
export const when = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? "—" : new Date(ms).toISOString();
