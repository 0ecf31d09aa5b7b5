import { UsageError } from "./_usage-error.js";

/**
 * Checks `--db` before anything opens it: `file:PATH`, `:memory:`, or a remote URL
 * `libsqlStorage` takes. A local file takes no query (libSQL's options are not flags of the CLI),
 * and anything else (`--db bogus`) is a usage error, not a failed migration.
 */
export function checkDb(url: string): void {
  if (url === ":memory:" || /^(libsql|https?|wss?):\/\/./.test(url)) return;
  if (!url.startsWith("file:")) {
    throw new UsageError(
      `--db: expected file:PATH, :memory: or a libsql://, https:// or wss:// URL, got "${url}"`,
    );
  }
  if (url === "file:") throw new UsageError("--db: file: needs a path (file:./shiftwork.db)");
  const query = url.indexOf("?");
  if (query >= 0) {
    throw new UsageError(
      `--db: a local file takes no query parameters (got "${url.slice(query + 1)}")`,
    );
  }
}
