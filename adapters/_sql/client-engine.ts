import type { Client, InStatement } from "@libsql/client";
import { type Row, runVerbAsync, type SqlEngine, type Verb } from "./driver.js";

/**
 * An engine over an `@libsql/client` Client (remote Turso/sqld, `@libsql/client/web` in Workers, or
 * a local file). Transactions of one Storage are serialised: two write transactions of one
 * process must not wait on each other across an await (SQLite would report BUSY).
 */
export function clientEngine(name: string, client: Client): SqlEngine {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    name,
    transaction<T>(mode: "read" | "write", verb: () => Verb<T>): Promise<T> {
      const run = async () => {
        const tx = await client.transaction(mode);
        try {
          const result = await runVerbAsync(verb(), async ({ sql, args }) => {
            const rs = await tx.execute({ sql, args } as InStatement);
            const rows = rs.rows as unknown as Row[];
            const changes = rs.rowsAffected;
            return rs.lastInsertRowid === undefined
              ? { rows, changes, changed: changes }
              : { rows, changes, changed: changes, lastRowid: Number(rs.lastInsertRowid) };
          });
          await tx.commit();
          return result;
        } catch (error) {
          await tx.rollback().catch(() => {});
          throw error;
        } finally {
          tx.close();
        }
      };
      const result = tail.then(run, run);
      tail = result.catch(() => {});
      return result;
    },
    close: () => client.close(),
  };
}
