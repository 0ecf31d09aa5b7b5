import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const host = fileURLToPath(new URL("./host.ts", import.meta.url));

/** Starts a host process (see host.ts) with the package resolved to its sources. */
export function startHost(args: string[]): { child: ChildProcess; exited: Promise<number | null> } {
  return startScript(host, args);
}

/** Starts a TypeScript file in a Node process, with the package resolved to its sources. */
export function startScript(
  script: string,
  args: string[],
): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ["--conditions=shiftwork-source", "--import", "tsx", script, ...args],
    { cwd: root, stdio: ["ignore", "inherit", "inherit"] },
  );
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited };
}

/** Parses the lines hosts write: claims (C), handler starts (S) and errors (E). */
export function parseLog(text: string) {
  const claims: {
    id: string;
    attempt: number;
    token: string;
    at: number;
    until: number;
    pid: string;
  }[] = [];
  const starts: { id: string; attempt: number; pid: string }[] = [];
  const errors: string[] = [];
  for (const line of text.split("\n")) {
    const [kind, ...f] = line.split(" ");
    if (kind === "C") {
      claims.push({
        id: f[0] as string,
        attempt: Number(f[1]),
        token: f[2] as string,
        at: Number(f[3]),
        until: Number(f[4]),
        pid: f[5] as string,
      });
    } else if (kind === "S") {
      starts.push({ id: f[0] as string, attempt: Number(f[1]), pid: f[2] as string });
    } else if (kind === "E") errors.push(f.join(" "));
  }
  return { claims, starts, errors };
}
