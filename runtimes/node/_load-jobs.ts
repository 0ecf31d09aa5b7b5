import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type AnyJobDefinition, collectJobs } from "../../src/define.js";
import { UsageError } from "./_usage-error.js";

/** The example job module shipped with the package: the default of `shiftwork start`. */
export const EXAMPLE_JOBS = import.meta.url.endsWith(".ts")
  ? new URL("../../examples/jobs.ts", import.meta.url)
  : // Built, this code may sit in a shared chunk: find the example through the package's exports.
    new URL(import.meta.resolve("shiftwork/examples/jobs"));

/** Resolves `--jobs FILE` (relative to the working directory) to a URL, checking it exists. */
export function jobsUrl(file: string | undefined): URL {
  if (file === undefined) return EXAMPLE_JOBS;
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`--jobs: no such file: ${path}`);
  return pathToFileURL(path);
}

/** Loads a job module in this thread (TypeScript through tsx) and collects its definitions. */
export async function loadJobs(url: URL): Promise<Map<string, AnyJobDefinition>> {
  const bun = "Bun" in globalThis;
  if (
    !bun &&
    /\.[cm]?tsx?$/.test(url.pathname) &&
    !process.execArgv.some((a) => a.includes("tsx"))
  ) {
    const { register } = await import("tsx/esm/api");
    register();
  }
  const path = url.protocol === "file:" ? fileURLToPath(url) : url.href;
  let module: Record<string, unknown>;
  try {
    module = (await import(url.href)) as Record<string, unknown>;
  } catch (error) {
    // The user's own file: a syntax error, or one thrown while it loads, is bad input (exit 2).
    // The cause keeps its stack, which the CLI prints: where in their module it went wrong.
    const why = error instanceof Error ? error.message : String(error);
    throw new UsageError(`--jobs: ${path} does not load: ${why}`, { cause: error });
  }
  const jobs = collectJobs(module);
  if (jobs.size === 0) {
    throw new UsageError(`--jobs: ${path} exports no defineJob() definitions`);
  }
  return jobs;
}
