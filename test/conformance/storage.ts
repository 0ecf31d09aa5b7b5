import type { Storage } from "shiftwork";
import { afterEach, beforeEach, describe } from "vitest";
import type { StorageCapabilities, StorageCaseContext } from "./_context.js";
import { adminCases } from "./storage/admin.js";
import { badInputCases } from "./storage/bad-input.js";
import { enqueueCases } from "./storage/enqueue.js";
import { leaseCases } from "./storage/leases.js";
import { orderCases } from "./storage/order.js";
import { resultCases } from "./storage/results.js";

/** Options of {@link testStorageAdapter}. */
export interface StorageSuiteOptions {
  /** Suite title; default `storage conformance`. */
  name?: string;
  /** Makes a new, empty database and returns a Storage on it. Called before every case. */
  create(): Storage | Promise<Storage>;
  /** Opens another handle on the database the last `create()` made (needs `secondHandle`). */
  open?(): Storage | Promise<Storage>;
  /** Tears down after a case (close, delete files). Each handle's `close()` is called first. */
  destroy?(): void | Promise<void>;
  capabilities?: StorageCapabilities;
  /** Adapter-specific cases, registered inside the same `describe`, with the same context. */
  extraTests?(ctx: StorageCaseContext): void;
}

/**
 * Registers the Storage conformance suite with vitest. Every adapter (memory, libSQL, Durable
 * Object, yours) runs these same cases; the database is re-created before each one.
 *
 * @example
 * testStorageAdapter({ create: () => memoryStorage() });
 */
export function testStorageAdapter(options: StorageSuiteOptions): void {
  const capabilities = options.capabilities ?? {};
  let current: Storage | undefined;
  let second: Storage | undefined;
  const ctx: StorageCaseContext = {
    capabilities,
    storage() {
      if (!current) throw new Error("[shiftwork] conformance: no storage (did create() fail?)");
      return current;
    },
    second() {
      if (!second)
        throw new Error(
          "[shiftwork] conformance: no second handle (declare secondHandle and give open())",
        );
      return second;
    },
  };

  describe(options.name ?? "storage conformance", () => {
    beforeEach(async () => {
      current = await options.create();
      await current.migrate();
      if (capabilities.secondHandle && options.open) {
        second = await options.open();
        await second.migrate();
      }
    });
    afterEach(async () => {
      await second?.close?.();
      await current?.close?.();
      current = second = undefined;
      await options.destroy?.();
    });
    enqueueCases(ctx);
    orderCases(ctx);
    leaseCases(ctx);
    resultCases(ctx);
    adminCases(ctx);
    badInputCases(ctx);
    options.extraTests?.(ctx);
  });
}
