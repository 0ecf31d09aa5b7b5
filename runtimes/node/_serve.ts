/** A listening HTTP server: the port it bound, and how to close it. */
export interface Listening {
  port: number;
  close(): Promise<void>;
}

/** What `listen` serves: a hono app, or anything with its `fetch`. */
export interface Fetcher {
  fetch(request: Request): Response | Promise<Response>;
}

/**
 * Serves a hono app on `host:port` (`0` binds any free port) with this runtime's server:
 * `Bun.serve` on Bun, `@hono/node-server` on Node. Resolves once it listens.
 */
export async function listen(app: Fetcher, host: string, port: number): Promise<Listening> {
  const bun = (
    globalThis as { Bun?: { serve(o: unknown): { port: number; stop(force?: boolean): unknown } } }
  ).Bun;
  if (bun) {
    const server = bun.serve({ fetch: app.fetch, hostname: host, port });
    return { port: server.port, close: async () => void server.stop(true) };
  }
  const { serve } = await import("@hono/node-server");
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) =>
      resolve({
        port: info.port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
    server.once("error", reject);
  });
}
