import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect } from "vitest";

/** The repository root. */
export const root: string = fileURLToPath(new URL("../..", import.meta.url));

/**
 * A tool from the repository's own node_modules/.bin (pinned versions: wrangler 4.86 runs on
 * Node 20, `latest` does not). Missing is a failure, never a skip: each is a devDependency.
 */
export function bin(name: string): string {
  const path = `${root}node_modules/.bin/${name}`;
  expect(existsSync(path), `${name} not installed at ${path}`).toBe(true);
  return path;
}

/** What a finished command printed. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; resolves with its exit code and output, whatever the code. */
export async function run(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): Promise<RunResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      timeout: options.timeout ?? 300_000,
      maxBuffer: 64 * 2 ** 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : -1,
      stdout: failed.stdout ?? "",
      stderr: `${failed.stderr ?? ""}${typeof failed.code === "string" ? failed.code : ""}`,
    };
  }
}

/** Runs a command that must succeed; on failure the assertion shows the end of its output. */
export async function runOk(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): Promise<RunResult> {
  const result = await run(file, args, options);
  const tail = `${result.stderr}\n${result.stdout}`.slice(-6000);
  expect(result.code, `${file} ${args.join(" ")} failed:\n${tail}`).toBe(0);
  return result;
}
