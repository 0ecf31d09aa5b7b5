// A process that opens a storage on a file, writes until the checkpoint thread has copied its WAL,
// then closes the storage or leaves it open (argv[3]) and returns: it must exit by itself.
import { libsqlStorage } from "shiftwork/adapters/libsql";
import { newJob, T0 } from "shiftwork/testing";
import { _checkpointThread } from "../../adapters/_checkpointer.js";

const [file, close] = process.argv.slice(2) as [string, string];
const storage = libsqlStorage({ url: `file:${file}` });
await storage.migrate();
const thread = _checkpointThread();
if (!thread?.running()) throw new Error("no checkpoint thread");
for (let i = 0; i < 50; i++) await storage.enqueue([newJob()], T0);
if (close === "true") {
  await storage.close?.();
  if (thread.running()) throw new Error("the checkpoint thread outlived the last storage");
}
