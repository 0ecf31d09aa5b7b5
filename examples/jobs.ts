/**
 * The example job module. Every host runs this same file (Node threads, Bun workers, Cloudflare
 * Durable Objects, inline), so it uses Web-standard APIs only and imports only shiftwork and valibot.
 * @module
 */
import { defineJob, type JobDefinition, snooze } from "shiftwork";
import * as v from "valibot";

/** Waits `ms`, or rejects with the signal's reason as soon as the job is cancelled or timed out. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

// Each definition states its type (name and input shape): JSR wants exported constants typed
// explicitly rather than inferred, and it documents the input at a glance.

/** Sends an email (simulated: a short wait that a cancel or timeout interrupts). */
export const sendEmail: JobDefinition<
  "email.send",
  v.GenericSchema<{ to: string; subject: string }>
> = defineJob({
  name: "email.send",
  input: v.object({
    to: v.pipe(v.string(), v.email()),
    subject: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  }),
  timeout: "5s",
  async run({ to }, ctx) {
    ctx.progress(0);
    await sleep(150, ctx.signal);
    ctx.progress(100);
    return { to, messageId: crypto.randomUUID() };
  },
});

/** Resizes an image (simulated: a CPU-bound pass over every output pixel, bounded by the schema). */
export const resizeImage: JobDefinition<
  "image.resize",
  v.GenericSchema<{ width: number; height: number }>
> = defineJob({
  name: "image.resize",
  queue: "images",
  input: v.object({
    width: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2000)),
    height: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2000)),
  }),
  async run({ width, height }, ctx) {
    let checksum = 0;
    const rowsPerStep = Math.ceil(height / 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) checksum = (checksum * 31 + x * y) >>> 0;
      if ((y + 1) % rowsPerStep === 0 || y + 1 === height) {
        ctx.progress(Math.round(((y + 1) / height) * 100));
        // A CPU-bound loop hears no cancel or timeout while it runs: yield now and then, so the
        // abort can arrive, and stop here if it did.
        await sleep(0, ctx.signal);
      }
    }
    return { width, height, checksum };
  },
});

/** Builds a report whose source fails on the first `failures` attempts, then answers. */
export const flakyReport: JobDefinition<
  "report.flaky",
  v.GenericSchema<{ failures: number }>
> = defineJob({
  name: "report.flaky",
  input: v.object({ failures: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10)) }),
  retry: { attempts: 3, backoff: { type: "exponential", base: "200ms", cap: "2s" } },
  run({ failures }, ctx) {
    if (ctx.attempt <= failures) {
      throw new Error(`report source unavailable (attempt ${ctx.attempt}/${ctx.maxAttempts})`);
    }
    return { rows: 42, attempt: ctx.attempt };
  },
});

/**
 * Cleans up, but not before `notBefore` (an ISO 8601 date): until then it snoozes, which puts the
 * job back to wait without using up an attempt.
 */
export const cleanup: JobDefinition<"cleanup", v.GenericSchema<{ notBefore: string }>> = defineJob({
  name: "cleanup",
  input: v.object({ notBefore: v.pipe(v.string(), v.isoTimestamp()) }),
  run({ notBefore }) {
    const wait = Date.parse(notBefore) - Date.now();
    if (wait > 0) return snooze(wait);
    return { removed: 3 };
  },
});
