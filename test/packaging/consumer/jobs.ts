// The consumer's job module: TypeScript, loaded by each worker thread (through tsx on Node) and
// each Bun Worker, and bundled into the Cloudflare Worker.
import { defineJob } from "shiftwork";
import * as v from "valibot";

/**
 * Doubles a number, and says where it ran: `main` is true only on the thread that set the marker
 * (the consumer's main thread), so false proves a worker thread or Web Worker ran it.
 */
export const double = defineJob({
  name: "consumer.double",
  input: v.object({ n: v.number() }),
  run: ({ n }) => ({
    doubled: n * 2,
    bun: "Bun" in globalThis,
    main: (globalThis as { consumerMain?: boolean }).consumerMain === true,
  }),
});
