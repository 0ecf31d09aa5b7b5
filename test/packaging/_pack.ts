import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root, runOk } from "./_run.js";

/** The packed package: its tarball, and the files npm put in it. */
export interface Packed {
  /** A fresh temporary directory holding the tarball; the consumer project goes beside it. */
  dir: string;
  tarball: string;
  files: string[];
}

/**
 * Builds the package (`npm run build`: tsup into dist/) and packs it (`npm pack`) into a fresh
 * temporary directory: the same tarball `npm publish` would upload.
 */
export async function buildAndPack(): Promise<Packed> {
  await runOk("npm", ["run", "build"], { cwd: root, timeout: 600_000 });
  const dir = await mkdtemp(join(tmpdir(), "shiftwork-pack-"));
  const { stdout } = await runOk("npm", ["pack", "--json", "--pack-destination", dir], {
    cwd: root,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!packed) throw new Error(`npm pack printed no package: ${stdout}`);
  return {
    dir,
    tarball: join(dir, packed.filename),
    files: packed.files.map((file) => file.path),
  };
}
