import type { Storage } from "shiftwork";

/**
 * A storage that counts each verb called through it, by name, for tests that assert how often a
 * Manager asks storage for something (a claim per job, a handful of wake-up queries).
 */
export function countCalls(inner: Storage): { storage: Storage; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const storage = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.set(String(key), (calls.get(String(key)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  }) as Storage;
  return { storage, calls };
}
