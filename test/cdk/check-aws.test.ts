import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkBundles, STACK_TEMPLATE } from "../../scripts/check-aws.js";

/** A cdk.out of three one-file bundles, as esbuild writes CommonJS bundles, without synthesizing the stack. */
function assembly(bundles: Record<string, string>): string {
  const out = mkdtempSync(join(tmpdir(), "check-aws-test-"));
  const resources: Record<string, unknown> = { Table: { Type: "AWS::DynamoDB::Table", Properties: {} } };
  for (const [id, code] of Object.entries(bundles)) {
    mkdirSync(join(out, `asset.${id}`));
    writeFileSync(join(out, `asset.${id}`, "index.js"), code);
    resources[id] = {
      Type: "AWS::Lambda::Function",
      Metadata: { "aws:asset:path": `asset.${id}` },
      Properties: { Runtime: "nodejs22.x", Handler: "index.handler", Environment: { Variables: { TABLE_NAME: { Ref: "Table" }, QUEUE_ARN: { "Fn::GetAtt": ["Queue", "Arn"] } } } },
    };
  }
  writeFileSync(join(out, STACK_TEMPLATE), JSON.stringify({ Resources: resources }));
  return out;
}

describe("npm run check:aws", () => {
  it("starts a bundle that reads its environment, and fails one that cannot be imported, has no handler, misses a module or refuses its environment", async () => {
    // Prepare
    const out = assembly({
      Good: "exports.handler = async () => ({ table: process.env.TABLE_NAME, queue: process.env.QUEUE_ARN });",
      // What a CommonJS bundle of a module using import.meta.url does: esbuild leaves import.meta empty.
      EmptyImportMeta: 'const importMeta = {}; const { fileURLToPath } = require("node:url"); fileURLToPath(importMeta.url); exports.handler = async () => 1;',
      NoHandler: "exports.main = async () => 1;",
      // What bad-environment.ts's BadEnvironmentError is once bundled: told apart by its name, not its text.
      BadEnvironment: 'class BadEnvironmentError extends Error { constructor(m) { super("bad environment: " + m); this.name = "BadEnvironmentError"; } } exports.handler = async () => { throw new BadEnvironmentError("EXPORT_BUCKET: EXPORT_BUCKET is not set"); };',
      MissingModule: 'exports.handler = async () => require("./left-out.js");',
      // A handler that started and refused the empty event, in words that merely sound like a set-up error.
      RefusedEvent: 'exports.handler = async () => { throw new Error("exportId is not set in the event"); };',
    });

    // Act
    const results = Object.fromEntries((await checkBundles(out)).map((r) => [r.id, r]));

    // Assess
    expect(results.Good).toEqual({ id: "Good", started: true, detail: 'answered {"table":"fake-Table","queue":"arn:aws:fake:eu-west-1:123456789012:Queue"}' });
    expect(results.EmptyImportMeta).toMatchObject({ started: false, detail: expect.stringMatching(/^import failed: TypeError/) });
    expect(results.NoHandler).toMatchObject({ started: false, detail: expect.stringContaining("no function handler exported (exports: main)") });
    expect(results.BadEnvironment).toMatchObject({ started: false, detail: expect.stringContaining("refused to start: bad environment: EXPORT_BUCKET") });
    expect(results.MissingModule).toMatchObject({ started: false, detail: expect.stringContaining("refused to start: Cannot find module './left-out.js'") });
    expect(results.RefusedEvent).toMatchObject({ started: true, detail: "threw Error: exportId is not set in the event" });
  }, 60_000);
});
