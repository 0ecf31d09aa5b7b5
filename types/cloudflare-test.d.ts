// The part of `cloudflare:test` (@cloudflare/vitest-pool-workers) the workerd tests use, so `tsc`
// checks them without the Workers globals in the whole program.
declare module "cloudflare:test" {
  export const env: Record<string, unknown>;
  export const SELF: { fetch(input: string, init?: RequestInit): Promise<Response> };
  export function runInDurableObject<R>(
    stub: unknown,
    callback: (
      instance: unknown,
      state: { storage: unknown; abort(reason?: unknown): void },
    ) => R | Promise<R>,
  ): Promise<R>;
  export function abortAllDurableObjects(): Promise<void>;
}
