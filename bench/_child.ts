// Runs one measurement in a child process and reads the JSON its last line holds.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** How a child is started: Node with the sources' loader, Bun, or plain Node for the peer. */
export type Runtime = "node" | "bun" | "peer";

const root = fileURLToPath(new URL("..", import.meta.url));
const measure = fileURLToPath(new URL("./measure.ts", import.meta.url));
const peer = fileURLToPath(new URL("./peers/plainjob.mjs", import.meta.url));
/** The Bun binary of the `bun` devDependency, not `npx bun` (whose lookup costs a second). */
export const bunBin = fileURLToPath(new URL("../node_modules/.bin/bun", import.meta.url));

function command(runtime: Runtime, args: string[]): [string, string[]] {
  if (runtime === "bun") return [bunBin, ["--conditions=shiftwork-source", measure, ...args]];
  if (runtime === "peer") return [process.execPath, [peer, ...args]];
  return [process.execPath, ["--conditions=shiftwork-source", "--import", "tsx", measure, ...args]];
}

/** Runs `measure.ts <args>` (or the peer) and resolves with the JSON of its last output line. */
export function runChild(
  runtime: Runtime,
  scenario: string,
  variant: string,
  options: object,
): Promise<Record<string, number>> {
  const [bin, argv] = command(runtime, [scenario, variant, JSON.stringify(options)]);
  return new Promise((resolve, reject) => {
    // Bun's transpiler cache off, as in the Bun test tier: a cached copy must not leak into it.
    const env = { ...process.env, BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" };
    const child = spawn(bin, argv, { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0) {
        reject(
          new Error(`${runtime} ${scenario} ${variant} exited with ${code}: ${out.slice(-500)}`),
        );
        return;
      }
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${runtime} ${scenario} ${variant} printed no JSON: ${out.slice(-500)}`));
      }
    });
  });
}
