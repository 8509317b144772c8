import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("cdk synth", () => {
  it("synthesizes the app offline, every Lambda bundled by the local esbuild", () => {
    // Prepare
    const out = mkdtempSync(join(tmpdir(), "cdk-out-"));
    execFileSync("npx", ["cdk", "synth", "--no-notices", "-q", "--output", out], {
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" },
      stdio: "pipe",
      timeout: 300_000,
    });
    const template = JSON.parse(readFileSync(join(out, "ClvReactivation.template.json"), "utf8")) as { Resources: Record<string, { Type: string; Metadata?: Record<string, string> }> };
    // Act
    const functions = Object.values(template.Resources).filter((r) => r.Type === "AWS::Lambda::Function" && r.Metadata?.["aws:asset:path"]);
    // Assess
    expect(functions.length).toBeGreaterThanOrEqual(10);
    for (const f of functions) expect(readdirSync(join(out, f.Metadata!["aws:asset:path"]!))).toContain("index.js");
    // The sending Lambda carries the e-mails (emails/<name>/*.liquid) next to its code, where it reads them.
    const [, send] = Object.entries(template.Resources).find(([id, r]) => id.startsWith("WorkflowsSendEmail") && r.Type === "AWS::Lambda::Function")!;
    const bundle = join(out, send.Metadata!["aws:asset:path"]!);
    expect(readdirSync(join(bundle, "emails")).sort()).toEqual(expect.arrayContaining(["_layouts", "reactivation-coupon", "win-back-coupon"]));
    expect(readFileSync(join(bundle, "emails", "reactivation-coupon", "html.liquid"), "utf8")).toContain('{% layout "newsletter" %}');
  });
});
