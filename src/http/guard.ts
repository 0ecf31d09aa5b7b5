/**
 * Who may call the API: the Host check (DNS rebinding), the cross-site check on POSTs (CSRF), and
 * the token, given as a Bearer header or as the dashboard's signed session cookie.
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { getSignedCookie } from "hono/cookie";
import { fail, unauthorized } from "./respond.js";

/** The session cookie the login form sets: HttpOnly, SameSite=Strict, signed with the token. */
export const SESSION_COOKIE = "shiftwork_session";

/** Routes that answer without a token: the health check and the login form itself. */
const PUBLIC = new Set(["/health", "/login", "/logout"]);

/** Options of {@link guard}. */
export interface GuardOptions {
  token?: string;
  /** Host names (without port) the app answers to; others get 403. */
  hosts?: readonly string[];
  basePath: string;
}

/** The host name of a `Host` header or an origin's host: lower case, without the port. */
export function hostName(host: string): string {
  const bracket = host.startsWith("[") ? host.indexOf("]") : -1;
  if (bracket > 0) return host.slice(0, bracket + 1).toLowerCase();
  return (host.split(":")[0] ?? "").toLowerCase();
}

/** Whether a request arrived with the dashboard's valid session cookie. */
export async function hasSession(c: Context, token: string | undefined): Promise<boolean> {
  if (!token) return false;
  return (await getSignedCookie(c, token, SESSION_COOKIE)) === "dashboard";
}

/** Whether a POST comes from another site: browsers say so with Sec-Fetch-Site or Origin. */
function crossSite(c: Context): boolean {
  if (c.req.header("sec-fetch-site") === "cross-site") return true;
  const origin = c.req.header("origin");
  if (!origin) return false;
  const host = c.req.header("host");
  try {
    return origin === "null" || !host || new URL(origin).host !== host;
  } catch {
    return true;
  }
}

/** The middleware in front of every route. */
export function guard(options: GuardOptions): MiddlewareHandler {
  const allowed = options.hosts?.map((h) => hostName(h));
  // Compared in constant time by hono's bearer auth; the 401 says nothing about the token.
  const bearer = options.token ? bearerAuth({ token: options.token }) : undefined;
  return async (c, next) => {
    if (allowed && !allowed.includes(hostName(c.req.header("host") ?? ""))) {
      return fail(403, "host not allowed");
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && crossSite(c)) {
      return fail(403, "cross-site request refused");
    }
    const path = c.req.path.slice(options.basePath.length) || "/";
    if (!bearer || PUBLIC.has(path)) return next();
    if (c.req.header("authorization") !== undefined) return bearer(c, next);
    if (await hasSession(c, options.token)) return next();
    // A browser asking for a page is sent to the login form; anything else gets the bare 401.
    if (c.req.method === "GET" && (c.req.header("accept") ?? "").includes("text/html")) {
      return c.redirect(`${options.basePath}/login`, 303);
    }
    return unauthorized();
  };
}
