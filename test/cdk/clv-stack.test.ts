import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { ClvStack } from "../../lib/clv-stack.js";

describe("ClvStack", () => {
  const template = Template.fromStack(new ClvStack(new App(), "Test", { env: { account: "123456789012", region: "eu-west-1" } }));

  it("has the store table with recovery, encryption and a stream of both images", () => {
    template.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      KeySchema: [
        { AttributeName: "PK", KeyType: "HASH" },
        { AttributeName: "SK", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      SSESpecification: { SSEEnabled: true },
      StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
      Replicas: [{ Region: "eu-west-1", PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }],
    });
  });

  it("keeps the store's data when the stack goes", () => {
    const tables = template.findResources("AWS::DynamoDB::GlobalTable");
    expect(Object.values(tables).every((t) => t.DeletionPolicy === "Retain")).toBe(true);
  });
});

describe("the ingestion API", () => {
  const template = Template.fromStack(new ClvStack(new App(), "Api", { env: { account: "123456789012", region: "eu-west-1" }, apiKeyHashes: ["ab".repeat(32)] }));

  it("puts every route but unsubscribe behind the API key authorizer", () => {
    const routes = Object.values(template.findResources("AWS::ApiGatewayV2::Route")).map((r) => r.Properties as { RouteKey: string; AuthorizationType?: string });
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(["POST /events", "POST /orders", "POST /unsubscribe", "PUT /contacts/{id}"]);
    for (const route of routes) expect(route.AuthorizationType, route.RouteKey).toBe(route.RouteKey === "POST /unsubscribe" ? "NONE" : "CUSTOM");
    template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", { AuthorizerType: "REQUEST", EnableSimpleResponses: true, IdentitySource: ["$request.header.x-api-key"] });
  });

  it("keeps the API keys only as hashes in SSM, and the unsubscribe secret in Secrets Manager", () => {
    template.hasResourceProperties("AWS::SSM::Parameter", { Value: "ab".repeat(32) });
    template.resourceCountIs("AWS::SecretsManager::Secret", 1);
  });

  it("runs its Lambdas on Node.js 22", () => {
    const functions = Object.values(template.findResources("AWS::Lambda::Function")).map((f) => f.Properties as { Runtime?: string; Environment?: { Variables?: Record<string, unknown> } });
    const ours = functions.filter((f) => f.Environment?.Variables?.TABLE_NAME !== undefined);
    expect(ours).toHaveLength(3);
    for (const f of ours) expect(f.Runtime).toBe("nodejs22.x");
  });

  it("imports uploads from an encrypted, private bucket, one prefix per kind", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    const notifications = Object.values(template.findResources("Custom::S3BucketNotifications"))[0]!.Properties as {
      NotificationConfiguration: { LambdaFunctionConfigurations: { Filter: { Key: { FilterRules: { Name: string; Value: string }[] } } }[] };
    };
    const prefixes = notifications.NotificationConfiguration.LambdaFunctionConfigurations.map((c) => c.Filter.Key.FilterRules.find((r) => r.Name === "prefix")!.Value);
    expect(prefixes.sort()).toEqual(["imports/contacts/", "imports/orders/"]);
  });
});
