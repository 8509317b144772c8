import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { describe, expect, it } from "vitest";
import { SegmentExport } from "../../lib/segment-export.js";
import { StoreTable } from "../../lib/store-table.js";

/** A small stack: the table, the construct, and a stand-in for the HTTP API's Lambda that exports in-process. */
function build() {
  const stack = new Stack(new App(), "Export", { env: { account: "123456789012", region: "eu-west-1" } });
  const { table } = new StoreTable(stack, "Store");
  const segmentExport = new SegmentExport(stack, "SegmentExport", { table, urlExpiry: Duration.minutes(30) });
  const api = new LambdaFunction(stack, "Api", { runtime: Runtime.NODEJS_22_X, handler: "index.handler", code: Code.fromInline("exports.handler = async () => {}") });
  segmentExport.grantExport(api);
  return { stack, template: Template.fromStack(stack) };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };
const statementsOf = (template: Template, roleLogicalIdPrefix: string): Statement[] =>
  Object.values(template.findResources("AWS::IAM::Policy"))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(roleLogicalIdPrefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
const actionsOf = (s: Statement) => [s.Action].flat();

describe("SegmentExport", () => {
  const { template } = build();
  const [bucketId] = Object.keys(template.findResources("AWS::S3::Bucket"));

  it("keeps exports in an encrypted bucket with public access blocked, deleted after 7 days", () => {
    template.resourceCountIs("AWS::S3::Bucket", 1);
    template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ Status: "Enabled", Prefix: "exports/", ExpirationInDays: 7 })] },
    });
  });

  it("refuses every request that is not over TLS", () => {
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } }, Principal: { AWS: "*" } })]),
      },
    });
  });

  it("runs the export Lambda with the bucket, the table and the URL's lifetime in its environment", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Timeout: 300,
      Environment: { Variables: { TABLE_NAME: Match.anyValue(), EXPORT_BUCKET: { Ref: bucketId }, EXPORT_URL_EXPIRES_SECONDS: "1800" } },
    });
  });

  for (const [who, role] of [
    ["the export Lambda", "SegmentExportExporterServiceRole"],
    ["a Lambda granted the export (the HTTP API's)", "ApiServiceRole"],
  ] as const) {
    it(`lets ${who} Query and BatchGetItem the table, and put and get objects under exports/ only`, () => {
      const statements = statementsOf(template, role);
      const dynamo = statements.flatMap(actionsOf).filter((a) => a.startsWith("dynamodb:"));
      expect(dynamo.sort()).toEqual(["dynamodb:BatchGetItem", "dynamodb:Query"]);
      const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith("s3:")));
      expect(s3).toHaveLength(1);
      expect(actionsOf(s3[0]!).sort()).toEqual(["s3:GetObject", "s3:PutObject"]);
      expect(s3[0]!.Resource).toEqual({ "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, "/exports/*"]] });
    });
  }

  it("refuses a URL lifetime beyond 7 days", () => {
    const stack = new Stack(new App(), "TooLong");
    const { table } = new StoreTable(stack, "Store");
    expect(() => new SegmentExport(stack, "SegmentExport", { table, urlExpiry: Duration.days(8) })).toThrow(/between 1 minute and 7 days/);
  });
});
