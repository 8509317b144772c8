import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, describe, expect, it } from "vitest";
import { API_KEY_RESULT_CACHE } from "../../lib/ingestion-api.js";
import { PARAMETER_MAX_AGE_SECONDS } from "../../functions/handlers/runtime.js";
import { handlerFunction, LAMBDA_NODE_OPTIONS } from "../../lib/lambda-function.js";
import { stackTemplate } from "../support/test-stack.js";

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> };

describe("every Lambda of the stack, on a new account", () => {
  const template = stackTemplate("DayOne", { apiKeyHashes: ["ab".repeat(32)] });
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const functions = Object.entries(resources).filter(([, r]) => r.Type === "AWS::Lambda::Function");
  const ours = functions.filter(([id]) => !id.startsWith("BucketNotificationsHandler"));

  it("reserves no concurrency: a new account's limit may be 10, all of which must stay unreserved", () => {
    // Act and assess
    expect(ours.length).toBeGreaterThanOrEqual(13);
    for (const [id, fn] of functions) expect(fn.Properties.ReservedConcurrentExecutions, id).toBeUndefined();
  });

  it("runs with source maps on, so a stack trace names functions/*.ts and its line", () => {
    // Act and assess
    expect(LAMBDA_NODE_OPTIONS).toBe("--enable-source-maps");
    for (const [id, fn] of ours) expect(fn.Properties.Environment?.Variables?.NODE_OPTIONS, id).toBe("--enable-source-maps");
  });

  it("refuses a revoked API key within 60 seconds: API Gateway's result cache and the authorizer's own cache of the hashes add up to at most 60", () => {
    // Act
    const authorizers = Object.values(resources).filter((r) => r.Type === "AWS::ApiGatewayV2::Authorizer");
    // Assess
    expect(authorizers).toHaveLength(1);
    const ttl = authorizers[0]!.Properties.AuthorizerResultTtlInSeconds as number;
    expect(ttl).toBe(API_KEY_RESULT_CACHE.toSeconds());
    expect(ttl).toBeGreaterThan(0);
    expect(ttl + PARAMETER_MAX_AGE_SECONDS).toBeLessThanOrEqual(60);
  });
});

describe("a bundled handler", () => {
  // Prepare: one real bundle (the authorizer's: it calls SSM), made by the local esbuild.
  const app = new App({ context: { "aws:cdk:enable-asset-metadata": true } });
  const stack = new Stack(app, "Bundle", { env: { account: "123456789012", region: "eu-west-1" } });
  handlerFunction(stack, "Authorizer", "api-key-authorizer.ts");
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  const [fn] = Object.values(template.findResources("AWS::Lambda::Function")) as Resource[];
  const assetDir = join(assembly.directory, fn!.Metadata!["aws:asset:path"]!);
  const code = readFileSync(join(assetDir, "index.js"), "utf8");
  afterAll(() => rmSync(assembly.directory, { recursive: true, force: true }));

  it("carries the AWS SDK the lockfile pins: nothing under @aws-sdk/ or @smithy/ is left to the runtime", () => {
    // Assess: no require of an SDK package; the SDK's own client code is inside.
    // (An SDK error message quotes `[require("@aws-sdk/signature-v4-crt");]`: text, not a require.)
    expect(code.match(/(?<!\[)require\(["']@(aws-sdk|smithy)\/[^"']+/g) ?? []).toEqual([]);
    expect(code).toContain("GetParameter");
    // Bundled from the project's node_modules, which npm installs from the lockfile.
    const sources = (JSON.parse(readFileSync(join(assetDir, "index.js.map"), "utf8")) as { sources: string[] }).sources;
    expect(sources.some((source) => source.includes("node_modules/@aws-sdk/client-ssm/"))).toBe(true);
  });

  it("ships its source map beside it", () => {
    // Act and assess
    expect(readdirSync(assetDir).sort()).toEqual(["index.js", "index.js.map"]);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
  });
});
