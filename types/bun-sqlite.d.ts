// The part of Bun's `bun:sqlite` that adapters/bun-sqlite.ts uses, so `tsc` on Node can check it.
declare module "bun:sqlite" {
  export class Statement {
    readonly columnNames: string[];
    all(...params: unknown[]): unknown[];
    run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  }
  export class Database {
    constructor(
      filename?: string,
      options?: { create?: boolean; readonly?: boolean; strict?: boolean },
    );
    prepare(sql: string): Statement;
    exec(sql: string): void;
    close(): void;
  }
}
