import type { Client, InStatement } from "@libsql/client";
import { type Again, type Row, runVerbAsync, type SqlEngine, type Verb } from "./driver.js";

/**
 * An engine over an `@libsql/client` Client (remote Turso/sqld, `@libsql/client/web` in Workers, or
 * a local file). Transactions of one Storage are serialised: two write transactions of one
 * process must not wait on each other across an await (SQLite would report BUSY).
 */
export function clientEngine(name: string, client: Client): SqlEngine {
  let tail: Promise<unknown> = Promise.resolve();
  /** One transaction: committed when the verb returns, rolled back when it throws. */
  const once = async <T>(mode: "read" | "write", verb: () => Verb<T>): Promise<T> => {
    const tx = await client.transaction(mode);
    try {
      const result = await runVerbAsync(verb(), async ({ sql, args }) => {
        const rs = await tx.execute({ sql, args } as InStatement);
        const rows = rs.rows as unknown as Row[];
        // A statement with result columns (a SELECT, a RETURNING) reports no change count here:
        // the local client says 0 whatever it wrote.
        const changed = rs.columns.length === 0 ? rs.rowsAffected : undefined;
        return rs.lastInsertRowid === undefined
          ? { rows, changed }
          : { rows, changed, lastRowid: Number(rs.lastInsertRowid) };
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
  return {
    name,
    transaction<T>(mode: "read" | "write", verb: () => Verb<T>, again?: Again<T>): Promise<T> {
      const run = async () => {
        try {
          return await once(mode, verb);
        } catch (error) {
          // In the same turn of the queue: no other transaction of this storage comes between.
          const next = again?.(error);
          if (!next) throw error;
          return once(mode, next);
        }
      };
      const result = tail.then(run, run);
      tail = result.catch(() => {});
      return result;
    },
    close: () => client.close(),
  };
}
