import { memoryStorage } from "shiftwork/adapters/memory";
import { testStorageAdapter } from "shiftwork/testing";

testStorageAdapter({
  name: "memory storage",
  create: () => memoryStorage(),
  capabilities: { handsOff: true },
});
