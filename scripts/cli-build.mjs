// Compiles the command line (bin/clv.ts and everything it imports) to dist/ with esbuild: one
// bundle per command's code (code splitting keeps each command's imports in its own chunks, so
// `clv --help` loads none of them), packages left to node_modules. `ensureBuilt` rebuilds only when
// a source file is newer than the last build, so `clv` in a fresh clone or after a pull just works.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
export const distEntry = join(root, "dist", "clv.js");
const sources = ["bin", "functions", "lib"];

/** The newest modification time of the sources the command line is built from, in ms. */
function newestSource() {
  let newest = Math.max(statSync(join(root, "package.json")).mtimeMs, statSync(join(root, "tsconfig.json")).mtimeMs);
  for (const dir of sources) {
    for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
    }
  }
  return newest;
}

export function isStale() {
  return !existsSync(distEntry) || statSync(distEntry).mtimeMs < newestSource();
}

/** An esbuild plugin: every package import left to node_modules, except the packages named. */
function packagesExternalBut(bundled) {
  const isBundled = (path) => bundled.some((name) => path === name || path.startsWith(`${name}/`));
  return {
    name: "packages-external-but",
    setup(build) {
      // A bare specifier: a package, or a Node.js built-in.
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith("node:") || !isBundled(args.path) && !args.importer.includes("/node_modules/")) return { path: args.path, external: true };
        return undefined;
      });
    },
  };
}

/**
 * Each file is written to a temporary name and renamed, chunks before the entry, so a `clv` starting
 * while another process builds (parallel tests) reads either the old build or the new one, never half.
 */
export async function buildCli() {
  const { build } = await import("esbuild");
  const { outputFiles } = await build({
    absWorkingDir: root,
    entryPoints: { clv: "bin/clv.ts" },
    outdir: "dist",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Packages stay in node_modules, but for zod: its ~80 modules cost every command that checks a
    // file ~60 ms of loading on their own, about 12 % of `clv fit` on the CDNOW sample; in one chunk
    // they load in a fraction of that.
    plugins: [packagesExternalBut(["zod"])],
    sourcemap: true,
    // Flat: every chunk one level under the root, as lib/ and bin/ are, for paths made from import.meta.url.
    chunkNames: "[name]-[hash]",
    logLevel: "warning",
    write: false,
  });
  const dist = join(root, "dist");
  mkdirSync(dist, { recursive: true });
  const entryLast = [...outputFiles].sort((a, b) => Number(a.path.startsWith(distEntry)) - Number(b.path.startsWith(distEntry)));
  for (const file of entryLast) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  const written = new Set(outputFiles.map((f) => basename(f.path)));
  for (const name of readdirSync(dist)) if (!written.has(name) && !name.endsWith(".tmp")) rmSync(join(dist, name), { force: true, recursive: true });
}

/** Builds dist/ when it is missing or older than a source file. */
export async function ensureBuilt({ quiet = false } = {}) {
  if (!isStale()) return;
  if (!quiet) process.stderr.write("clv: compiling the command line to dist/ …\n");
  await buildCli();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--if-stale")) await ensureBuilt();
  else await buildCli();
}
