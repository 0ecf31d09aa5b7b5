/** Starts `shiftwork start` as a child process, on Node or Bun, for tests that need a real host. */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const node = ["--conditions=shiftwork-source", "--import", "tsx", "runtimes/node/cli.ts"];

/** A started host: its process, everything it printed so far, and its exit. */
export interface Host {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `shiftwork start ARGS` on `--port 0` unless a port is given; `env` adds variables. */
export function startHost(
  args: string[],
  runtime: "node" | "bun" = "node",
  env: Record<string, string> = {},
): Host {
  // Under Bun the same entry runs as it is (Bun runs TypeScript itself).
  const [program, prefix] =
    runtime === "bun"
      ? [
          join(root, "node_modules/.bin/bun"),
          ["--conditions=shiftwork-source", "runtimes/node/cli.ts"],
        ]
      : [process.execPath, node];
  // Any free port, so hosts of parallel tests never collide; the host prints the one it bound.
  const port = args.includes("--port") ? [] : ["--port", "0"];
  const child = spawn(program, [...prefix, "start", ...args, ...port], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0", ...env },
  });
  let text = "";
  child.stdout?.on("data", (chunk) => {
    text += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    text += chunk;
  });
  return { child, output: () => text, exited: new Promise((resolve) => child.on("exit", resolve)) };
}

/** Polls `check` every 50 ms for up to `ms` (15 s). */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000) {
  for (let i = 0; i < ms / 50; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The base URL a started host printed, once it listens. */
export async function listeningAt(host: Host): Promise<string> {
  await until(() => host.output().includes("listening on"), "the host to listen");
  const match = /listening on (http:\/\/[^\s;]+)/.exec(host.output());
  if (!match?.[1]) throw new Error(`no address in: ${host.output()}`);
  return match[1];
}
