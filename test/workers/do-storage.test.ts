// The Storage conformance suite inside workerd, on Durable Object SQLite.
import { env, runInDurableObject } from "cloudflare:test";
import type { Storage } from "shiftwork";
import { durableObjectStorage } from "shiftwork/adapters/durable-object";
import { testStorageAdapter } from "shiftwork/testing";

interface ProbeEnv {
  PROBE: { newUniqueId(): unknown; get(id: unknown): unknown };
}

const VERBS = [
  "migrate",
  "enqueue",
  "claim",
  "extendLeases",
  "record",
  "recordAndClaim",
  "rescueExpired",
  "cancel",
  "retry",
  "setPaused",
  "get",
  "list",
  "stats",
  "prune",
  "nextWakeAt",
] as const;

/**
 * A Storage whose every call runs inside one Durable Object (workerd refuses I/O on an object's
 * storage from outside it), on that object's SQLite.
 */
function insideObject(): Storage {
  const namespace = (env as unknown as ProbeEnv).PROBE;
  const stub = namespace.get(namespace.newUniqueId()) as never;
  const proxy: Record<string, unknown> = { name: "durable-object" };
  for (const verb of VERBS) {
    proxy[verb] = (...args: unknown[]) =>
      runInDurableObject(stub, (_instance, state) => {
        const storage = durableObjectStorage(state.storage as never, { queue: "conformance" });
        return (storage[verb] as (...a: unknown[]) => unknown)(...args);
      });
  }
  return proxy as unknown as Storage;
}

testStorageAdapter({
  name: "durable object storage (workerd)",
  create: () => insideObject(),
  capabilities: { handsOff: true },
});
