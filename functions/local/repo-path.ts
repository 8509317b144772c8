import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/**
 * A path inside the repository (the data sets, workflows, e-mails), the same whether this module runs
 * from its source (tsx, vitest) or bundled into dist/ by `npm run build`: the root is the nearest
 * folder above with a package.json.
 */
export function repoPath(...parts: string[]): string {
  if (root === undefined) {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
    root = dir;
  }
  return join(root, ...parts);
}
