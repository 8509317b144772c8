import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { fittableModels } from "../../bin/commands/fit.js";
import { purchaseModelNames } from "../../functions/domain/clv/purchase-model.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "clv-start-up-"));
/** What `fit` and `score` must never load: they read a file and do arithmetic. */
const HEAVY = /[/\\](@aws-sdk|@smithy|aws-cdk-lib|constructs|dynalite|aws-local-stepfunctions|aws-ses-v2-local)[/\\]/;

/** Runs the compiled `clv` (as `npx clv` does) and lists every module the process loaded. */
function clvModules(...args: string[]): { status: number | null; stdout: string; stderr: string; modules: string[] } {
  const trace = join(dir, `trace-${args[0] ?? "help"}-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(trace, "");
  const result = spawnSync(process.execPath, ["--import", "./test/support/module-trace.mjs", "bin/clv.mjs", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CLV_MODULE_TRACE: trace },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, modules: readFileSync(trace, "utf8").split("\n").filter(Boolean) };
}

describe("the compiled clv loads only what a command uses", () => {
  beforeAll(() => {
    // Prepare: dist/ as `npx clv` would find it (built only when a source is newer).
    const build = spawnSync(process.execPath, ["scripts/cli-build.mjs", "--if-stale"], { cwd: root, encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
  });

  it("clv fit reads the file and fits without loading the AWS SDK, CDK, dynalite or the local Step Functions", () => {
    // Prepare
    const summary = join(dir, "summary.csv");
    const cdnow = readFileSync(join(root, "test/fixtures/cdnow/cdnow_customers_summary.csv"), "utf8").trim().split(/\r?\n/).slice(1); // origin: test/support/cdnow.ts
    writeFileSync(summary, ["customer_id,frequency,recency,T", ...cdnow].join("\n"));
    // Act
    const run = clvModules("fit", "--summary", summary, "--model", "bg-nbd", "--json");
    // Assess
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ model: "bg-nbd", customers: 2357 });
    expect(run.modules.some((m) => m.includes("/dist/"))).toBe(true);
    expect(run.modules.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it("clv score writes every contact's figures without loading them either", () => {
    // Prepare
    const orders = join(dir, "orders.csv");
    const out = join(dir, "scores.csv");
    writeFileSync(orders, "order_id,customer_id,created_at,total,currency\n1,ann,2024-01-05,50,EUR\n2,ann,2024-02-10,70,EUR\n3,ben,2024-02-11,12.5,EUR\n");
    // Act
    const run = clvModules("score", "--orders", orders, "--as-of", "2024-03-31", "--out", out);
    // Assess
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(out, "utf8").split("\n")[0]).toMatch(/^customer_id,/);
    expect(run.modules.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it("clv --help loads commander and the command list only: no schema, no model, no CSV parser", () => {
    // Act
    const run = clvModules("--help");
    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("fit [options]");
    expect(run.modules.filter((m) => /node_modules/.test(m) && !/[/\\]commander[/\\]/.test(m))).toEqual([]);
  });

  it("lists every model the domain can fit", () => {
    expect([...fittableModels].sort()).toEqual([...purchaseModelNames, "pareto-ggg", "gamma-gamma"].sort());
  });
});
