import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkBundles } from "../../scripts/check-aws.js";

describe("cdk synth", () => {
  let out = "";
  // Prepare: the app synthesized once, offline, for both tests.
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "cdk-out-"));
    execFileSync("npx", ["cdk", "synth", "--no-notices", "-q", "--output", out], {
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" },
      stdio: "pipe",
      timeout: 300_000,
    });
  }, 320_000);

  it("synthesizes the app offline, every Lambda bundled by the local esbuild", () => {
    // Act
    const template = JSON.parse(readFileSync(join(out, "ClvReactivation.template.json"), "utf8")) as { Resources: Record<string, { Type: string; Metadata?: Record<string, string> }> };
    const functions = Object.values(template.Resources).filter((r) => r.Type === "AWS::Lambda::Function" && r.Metadata?.["aws:asset:path"]);
    // Assess
    expect(functions.length).toBeGreaterThanOrEqual(10);
    for (const f of functions) expect(readdirSync(join(out, f.Metadata!["aws:asset:path"]!))).toContain("index.js");
    // The sending Lambda carries the e-mails (emails/<name>/*.liquid) next to its code, where it reads them.
    const [, send] = Object.entries(template.Resources).find(([id, r]) => id.startsWith("WorkflowsSendEmail") && r.Type === "AWS::Lambda::Function")!;
    const bundle = join(out, send.Metadata!["aws:asset:path"]!);
    expect(readdirSync(join(bundle, "emails")).sort()).toEqual(expect.arrayContaining(["_layouts", "reactivation-coupon", "win-back-coupon"]));
    expect(readFileSync(join(bundle, "emails", "reactivation-coupon", "html.liquid"), "utf8")).toContain('{% layout "newsletter" %}');
    // The API and the enrolment carry the workflows deployed (workflows.json), not in their environment (4 KB at most).
    for (const prefix of ["IngestionHandler", "WorkflowsEnrol"]) {
      const [, fn] = Object.entries(template.Resources).find(([id, r]) => id.startsWith(prefix) && r.Type === "AWS::Lambda::Function")!;
      const deployed = JSON.parse(readFileSync(join(out, fn.Metadata!["aws:asset:path"]!, "workflows.json"), "utf8")) as { id: string }[];
      expect(deployed.map((w) => w.id).sort()).toEqual(["low-clv-reactivation", "low-clv-relative-reactivation", "win-back"]);
    }
  });

  it("starts every bundled Lambda in a fresh Node process with exactly its template environment (npm run check:aws)", async () => {
    // Act
    const results = await checkBundles(out);

    // Assess: each imports, has its handler, and accepts its environment; an empty event may be refused.
    expect(results.length).toBeGreaterThanOrEqual(13);
    expect(results.filter((r) => !r.started)).toEqual([]);
  }, 180_000);
});
