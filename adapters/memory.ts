/**
 * In-memory Storage: every semantic of the port (fenced leases, unique keys, persisted pause, order),
 * nothing on disk. The default for tests and quick in-process use.
 * @module
 */
import type { Storage } from "../src/ports.js";
import { createMemoryStorage } from "./_memory.js";

/** Creates an empty in-memory Storage. Each call is a separate database. */
export const memoryStorage = (): Storage => createMemoryStorage();
