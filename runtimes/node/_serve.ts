/** A listening HTTP server: the port it bound, and how to close it. */
export interface Listening {
  port: number;
  close(): Promise<void>;
}

/** What `listen` serves: a hono app, or anything with its `fetch`. */
export interface Fetcher {
  fetch(request: Request): Response | Promise<Response>;
}

/** How long a closing server lets requests in flight finish before it cuts their connections. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Bun.serve's idle timeout, in seconds: past the event stream's keep-alive comment (every 15 s),
 * which Bun's default of 10 s would cut between two.
 */
const BUN_IDLE_TIMEOUT_S = 60;

/** The part of Node's `http.Server` that ends open connections. */
interface NodeConnections {
  closeIdleConnections?(): void;
  closeAllConnections?(): void;
}

/**
 * Serves a hono app on `host:port` (`0` binds any free port) with this runtime's server:
 * `Bun.serve` on Bun, `@hono/node-server` on Node. Resolves once it listens. `close` ends open
 * connections too: an event stream (`/events`, a dashboard tab) never ends by itself, and would
 * keep a stopped host alive for as long as its client stays.
 */
export async function listen(app: Fetcher, host: string, port: number): Promise<Listening> {
  const bun = (
    globalThis as { Bun?: { serve(o: unknown): { port: number; stop(force?: boolean): unknown } } }
  ).Bun;
  if (bun) {
    const server = bun.serve({
      fetch: app.fetch,
      hostname: host,
      port,
      idleTimeout: BUN_IDLE_TIMEOUT_S,
    });
    return { port: server.port, close: async () => void server.stop(true) };
  }
  const { serve } = await import("@hono/node-server");
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) =>
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            const connections = server as NodeConnections;
            connections.closeIdleConnections?.();
            setTimeout(() => connections.closeAllConnections?.(), CLOSE_GRACE_MS).unref();
          }),
      }),
    );
    server.once("error", reject);
  });
}
