// Lets `npm start` and `npm test` be the first command on a fresh clone: installs exactly what the
// lockfile pins when node_modules is missing, then compiles the command line to dist/ when it is
// missing or older than its sources.
import { existsSync } from "node:fs";
import { execSync } from "node:child_process";

if (!existsSync(new URL("../node_modules/.package-lock.json", import.meta.url))) {
  console.log("node_modules is missing: installing from package-lock.json (npm ci)…");
  execSync("npm ci --no-audit --no-fund", { stdio: "inherit", cwd: new URL("..", import.meta.url) });
}
const { ensureBuilt } = await import("./cli-build.mjs");
await ensureBuilt();
