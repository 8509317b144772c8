#!/usr/bin/env node
// The `clv` executable: compiles bin/clv.ts to dist/ when that is missing or stale, then runs it.
import { ensureBuilt } from "../scripts/cli-build.mjs";

await ensureBuilt();
await import("../dist/clv.js");
