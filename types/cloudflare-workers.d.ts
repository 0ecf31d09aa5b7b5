// The part of `cloudflare:workers` that runtimes/cloudflare uses, so `tsc` on Node can check it
// without pulling the Workers globals into the whole program.
declare module "cloudflare:workers" {
  export interface DurableObjectId {
    readonly name?: string;
    toString(): string;
  }
  export interface DurableObjectStorageLike {
    sql: { exec(query: string, ...bindings: unknown[]): { toArray(): unknown[] } };
    transactionSync<T>(closure: () => T): T;
    setAlarm(time: number | Date): Promise<void>;
    deleteAlarm(): Promise<void>;
    getAlarm(): Promise<number | null>;
  }
  export interface DurableObjectState {
    readonly id: DurableObjectId;
    readonly storage: DurableObjectStorageLike;
    blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
    waitUntil(promise: Promise<unknown>): void;
  }
  export abstract class WorkerEntrypoint<Env = unknown> {
    protected ctx: unknown;
    protected env: Env;
    constructor(ctx: unknown, env: Env);
  }
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
  }
}
