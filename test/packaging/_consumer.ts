import { cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pkg from "../../package.json" with { type: "json" };
import { runOk } from "./_run.js";

// What the consumer installs beside the tarball, at the versions the repository tests with: the
// optional peers its entries need (libsql for file storage, hono for the Worker; @libsql/client
// because the libSQL adapter's options name its `Client` type), and TypeScript with the Node and
// Workers typings for `tsc --noEmit`.
const extras = [
  "libsql",
  "@libsql/client",
  "hono",
  "typescript",
  "@types/node",
  "@cloudflare/workers-types",
] as const;

/**
 * Makes a fresh consumer project in `dir`: the files of test/packaging/consumer, then
 * `npm install` of the tarball (its dependencies come from the registry, cache first).
 */
export async function installConsumer(dir: string, tarball: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await cp(fileURLToPath(new URL("./consumer", import.meta.url)), dir, { recursive: true });
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({ name: "shiftwork-consumer", private: true, type: "module" }),
  );
  const versions: Record<string, string> = pkg.devDependencies;
  await runOk(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      tarball,
      ...extras.map((name) => `${name}@${versions[name]}`),
    ],
    { cwd: dir, timeout: 600_000 },
  );
}
