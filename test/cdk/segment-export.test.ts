import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { describe, expect, it } from "vitest";
import { SegmentExport } from "../../lib/segment-export.js";
import { StoreTable } from "../../lib/store-table.js";

/** A small stack: the table, the construct, and a stand-in for the HTTP API's Lambda that starts exports and answers them. */
function build() {
  const stack = new Stack(new App(), "Export", { env: { account: "123456789012", region: "eu-west-1" } });
  const { table } = new StoreTable(stack, "Store");
  const segmentExport = new SegmentExport(stack, "SegmentExport", { table, urlExpiry: Duration.minutes(30) });
  const api = new LambdaFunction(stack, "Api", { runtime: Runtime.NODEJS_22_X, handler: "index.handler", code: Code.fromInline("exports.handler = async () => {}") });
  segmentExport.grantRequest(api);
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

  it("runs the exporter for up to 15 minutes with the table and the bucket, and gives the API the bucket, the URL's lifetime, the retention and the state machine", () => {
    // Prepare
    const [machineId] = Object.keys(template.findResources("AWS::StepFunctions::StateMachine"));

    // Assess
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Timeout: 900,
      Environment: { Variables: Match.objectLike({ TABLE_NAME: Match.anyValue(), EXPORT_BUCKET: { Ref: bucketId } }) },
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "index.handler",
      Environment: { Variables: { EXPORT_BUCKET: { Ref: bucketId }, EXPORT_URL_EXPIRES_SECONDS: "1800", EXPORT_RETENTION_DAYS: "7", EXPORT_STATE_MACHINE_ARN: { Ref: machineId } } },
    });
  });

  it("runs the exporter from a state machine that marks the job failed in the table when the exporter itself fails", () => {
    // Prepare
    const [machine] = Object.values(template.findResources("AWS::StepFunctions::StateMachine"));
    const definition = JSON.stringify(machine!.Properties.DefinitionString);

    // Assess
    expect(definition).toContain("arn:\",{\"Ref\":\"AWS::Partition\"},\":states:::dynamodb:updateItem");
    expect(definition).toContain("EXPORT#{}");
    expect(definition).toMatch(/"Catch\\":\[\{\\"ErrorEquals\\":\[\\"States.ALL\\"\]/);
    expect(definition).toContain('\\"TimeoutSeconds\\":960');
    const machineRole = statementsOf(template, "SegmentExportStateMachineRole");
    expect([...new Set(machineRole.flatMap(actionsOf))].filter((a) => !a.startsWith("xray:") && !a.startsWith("logs:")).sort()).toEqual(["dynamodb:UpdateItem", "lambda:InvokeFunction"]);
  });

  it("lets the exporter read the members and their figures, read and update the job, and write (or abort) files under exports/ only", () => {
    // Act
    const statements = statementsOf(template, "SegmentExportExporterServiceRole");
    // Assess
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith("dynamodb:")).sort()).toEqual(["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]);
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith("s3:")));
    expect(s3).toHaveLength(1);
    expect(actionsOf(s3[0]!).sort()).toEqual(["s3:AbortMultipartUpload", "s3:PutObject"]);
    expect(s3[0]!.Resource).toEqual({ "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, "/exports/*"]] });
  });

  it("lets the API start exports, record and read their jobs, and sign downloads of files under exports/ only", () => {
    // Act
    const statements = statementsOf(template, "ApiServiceRole");
    // Assess
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith("dynamodb:")).sort()).toEqual(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]);
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith("states:"))).toEqual(["states:StartExecution"]);
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith("s3:")));
    expect(s3.flatMap(actionsOf)).toEqual(["s3:GetObject"]);
    expect(s3[0]!.Resource).toEqual({ "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, "/exports/*"]] });
  });

  it("refuses a URL lifetime beyond 7 days", () => {
    // Prepare
    const stack = new Stack(new App(), "TooLong");
    const { table } = new StoreTable(stack, "Store");
    // Act and assess
    expect(() => new SegmentExport(stack, "SegmentExport", { table, urlExpiry: Duration.days(8) })).toThrow(/between 1 minute and 7 days/);
  });
});
