/** @jsxImportSource hono/jsx */
/**
 * The dashboard's routes: pages, the forms behind their buttons, and login/logout. Forms carry a
 * double-submit CSRF value; the session cookie is HttpOnly and SameSite=Strict.
 * @module
 */
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie, setSignedCookie } from "hono/cookie";
import { timingSafeEqual } from "hono/utils/buffer";
import { unprefixed } from "../../errors.js";
import type { ManagerLike } from "../app.js";
import { SESSION_COOKIE } from "../guard.js";
import { check, checkQuery, type ErrorAnswer, errorAnswer, named } from "../respond.js";
import { listQuerySchema, loginFormSchema } from "../schemas.js";
import type { PageContext } from "./layout.js";
import { JobList, JobMissing, JobPage, Login, Overview, Refused } from "./pages.js";

const CSRF_COOKIE = "shiftwork_csrf";

/** Random hex, for the CSRF value. */
function randomHex(bytes: number): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Options of {@link dashboard}. */
export interface DashboardOptions {
  basePath: string;
  token?: string;
}

/** The dashboard as a hono app, mounted by `createApp` at its base path. */
export function dashboard(manager: ManagerLike, options: DashboardOptions): Hono {
  const base = options.basePath;
  const cookiePath = base || "/";
  const app = new Hono();
  const secure = (c: Context) => new URL(c.req.url).protocol === "https:";

  /** The page context; sets the CSRF cookie on a browser's first page. */
  const pageContext = (c: Context): PageContext => {
    let csrf = getCookie(c, CSRF_COOKIE);
    if (!csrf || !/^[0-9a-f]{64}$/.test(csrf)) {
      csrf = randomHex(32);
      setCookie(c, CSRF_COOKIE, csrf, {
        httpOnly: true,
        sameSite: "Strict",
        path: cookiePath,
        secure: secure(c),
      });
    }
    return { base, csrf, protected: Boolean(options.token) };
  };

  /** Whether a form came with the CSRF value of this browser's cookie. */
  const csrfOk = async (c: Context): Promise<boolean> => {
    const cookie = getCookie(c, CSRF_COOKIE);
    const form = await c.req.parseBody();
    const sent = form._csrf;
    return (
      Boolean(cookie) && typeof sent === "string" && (await timingSafeEqual(sent, cookie ?? ""))
    );
  };

  /** What the API would answer, as a page with the way `back`: a browser lands here, not a client. */
  const refusedPage = (
    c: Context,
    { status, message, issues }: ErrorAnswer,
    back: string,
    heading = "Not done",
  ) => {
    const detail = issues?.map((i) => `${i.path}: ${i.message}`).join("; ");
    const text = unprefixed(detail || message);
    return c.html(
      <Refused ctx={pageContext(c)} heading={heading} message={text} back={back} />,
      status as 400,
    );
  };

  /**
   * What a refused Manager call answers, for {@link refusedPage}: a client's mistake (a 409 for a
   * job that finished meanwhile, a 400). Storage trouble is thrown on, and stays the API's 500.
   */
  const clientError = (error: unknown): ErrorAnswer => {
    const answer = errorAnswer(error);
    if (answer.status >= 500) throw error;
    return answer;
  };

  /** Runs a button's action after the CSRF check, then goes back to `back`. */
  const action = (verb: (c: Context) => Promise<unknown>, back: (c: Context) => string) => {
    return async (c: Context) => {
      const backTo = `${base}${back(c)}`;
      if (!(await csrfOk(c))) {
        return refusedPage(
          c,
          { status: 403, message: "The form is stale: reload the page." },
          backTo,
        );
      }
      try {
        await verb(c);
      } catch (error) {
        return refusedPage(c, clientError(error), backTo);
      }
      return c.redirect(backTo, 303);
    };
  };

  const overview = async (c: Context) => {
    const queues = await manager.stats();
    const workers = (manager.workers?.() ?? []).map((w) => w.toJSON());
    return c.html(<Overview ctx={pageContext(c)} queues={queues} workers={workers as never} />);
  };
  app.get("/", overview);
  app.get("/dashboard", overview);

  app.get("/dashboard/jobs", async (c) => {
    // A filter typed into the address bar, refused: a page that says why, and the unfiltered list.
    const allJobs = `${base}/dashboard/jobs`;
    const checked = checkQuery(listQuerySchema, c.req.queries());
    if (!checked.ok) return refusedPage(c, checked.answer, allJobs, "No such filter");
    const query = { limit: 50, ...checked.value };
    let page: Awaited<ReturnType<ManagerLike["list"]>>;
    try {
      page = await named("query", () => manager.list(query));
    } catch (error) {
      return refusedPage(c, clientError(error), allJobs, "No such filter");
    }
    return c.html(
      <JobList
        ctx={pageContext(c)}
        jobs={page.jobs}
        filter={{
          state: query.state,
          queue: query.queue,
          name: query.name,
          limit: c.req.query("limit"),
        }}
        nextCursor={page.nextCursor === null ? null : String(page.nextCursor)}
      />,
    );
  });
  app.get("/dashboard/jobs/:id", async (c) => {
    // An id no job can have (a NUL in it) finds no job, as a wrong one does.
    const job = await manager.get(c.req.param("id")).catch((error: unknown) => {
      clientError(error);
      return null;
    });
    // A page, not the API's JSON: this is where a browser's link lands.
    if (!job) return c.html(<JobMissing ctx={pageContext(c)} id={c.req.param("id")} />, 404);
    return c.html(<JobPage ctx={pageContext(c)} job={job} />);
  });

  const jobPage = (c: Context) => `/dashboard/jobs/${encodeURIComponent(c.req.param("id") ?? "")}`;
  app.post(
    "/dashboard/jobs/:id/retry",
    action((c) => named("path", () => manager.retry(c.req.param("id") ?? "")), jobPage),
  );
  app.post(
    "/dashboard/jobs/:id/cancel",
    action(
      (c) =>
        named("path", () =>
          manager.cancel(c.req.param("id") ?? "", "cancelled from the dashboard"),
        ),
      jobPage,
    ),
  );
  app.post(
    "/dashboard/queues/:queue/pause",
    action(
      (c) => named("path", () => manager.pause(c.req.param("queue") ?? "")),
      () => "/dashboard",
    ),
  );
  app.post(
    "/dashboard/queues/:queue/resume",
    action(
      (c) => named("path", () => manager.resume(c.req.param("queue") ?? "")),
      () => "/dashboard",
    ),
  );

  app.get("/login", (c) =>
    options.token ? c.html(<Login base={base} failed={false} />) : c.redirect(`${base}/dashboard`),
  );
  app.post("/login", async (c) => {
    if (!options.token) return c.redirect(`${base}/dashboard`, 303);
    const checked = check(loginFormSchema, await c.req.parseBody(), "form");
    const right = checked.ok && (await timingSafeEqual(checked.value.token, options.token));
    if (!right) return c.html(<Login base={base} failed={true} />, 401);
    await setSignedCookie(c, SESSION_COOKIE, "dashboard", options.token, {
      httpOnly: true,
      sameSite: "Strict",
      path: cookiePath,
      secure: secure(c),
    });
    return c.redirect(`${base}/dashboard`, 303);
  });
  app.post(
    "/logout",
    action(
      async (c) => {
        deleteCookie(c, SESSION_COOKIE, { path: cookiePath });
      },
      () => "/login",
    ),
  );
  return app;
}
