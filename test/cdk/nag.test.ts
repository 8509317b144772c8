import { App, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { ClvStack } from "../../lib/clv-stack.js";
import { LOCAL_SYNTH_CONTEXT } from "../../lib/lambda-function.js";
import { WILDCARD_GRANTS } from "../../lib/nag-acknowledgements.js";

/** The whole stack, synthesized (aspects run) without bundling, with every deploy parameter set. */
function synthesized() {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [], [LOCAL_SYNTH_CONTEXT]: true } });
  const stack = new ClvStack(app, "Nag", {
    env: { account: "123456789012", region: "eu-west-1" },
    apiKeyHashes: ["ab".repeat(32)],
    senderIdentity: "shop.example",
    storeName: "Shop",
    alarmEmail: "ops@shop.example",
  });
  app.synth();
  return { stack, template: Template.fromStack(stack) };
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const actionsOf = (s: Statement) => [s.Action].flat();
const resourcesOf = (s: Statement) => [s.Resource].flat();

describe("cdk-nag, AwsSolutions pack", () => {
  const { stack, template } = synthesized();
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
  const acknowledged = stack.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => ({ path: c.node.path, rules: m.data as Record<string, string> })))
    .flatMap(({ path, rules }) => Object.entries(rules).map(([id, reason]) => ({ path, id: id.replace(/^annotation::/i, ""), reason })));

  it("finds nothing that is neither fixed nor acknowledged with a reason", () => {
    // Act
    // Fix it, or acknowledge it next to the resource: Validations.of(construct).acknowledge({ id, reason }).
    const open = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}: ${v.description.slice(0, 160)}`));
    // Assess
    expect(open).toEqual([]);
    expect(report.success).toBe(true);
  });

  it("acknowledges only these rules, each with its reason", () => {
    // Act and assess
    for (const a of acknowledged) expect(a.reason.length, `${a.id} at ${a.path}`).toBeGreaterThan(40);
    const rules = [...new Set(acknowledged.map((a) => a.id.replace(/\[.*\]$/, "")))].sort();
    // A new rule here is a decision: say why in the acknowledgement, and in the README's deploy section.
    expect(rules).toEqual([
      "AwsSolutions-APIG4", // the unsubscribe route: a signed token, not a key (RFC 8058)
      "AwsSolutions-IAM4", // CDK's bucket-notifications custom resource only
      "AwsSolutions-IAM5", // wildcards, each matched to a WILDCARD_GRANTS entry
      "AwsSolutions-L1", // Node.js 22 pinned
      "AwsSolutions-S1", // no server access logs on the uploads and exports buckets
      "AwsSolutions-SF1", // state machines log at ERROR
      "AwsSolutions-SMG4", // the unsubscribe secret is not rotated
      "AwsSolutions-SQS3", // dead-letter queues have no dead-letter queue
    ]);
    const managedPolicy = acknowledged.filter((a) => a.id.startsWith("AwsSolutions-IAM4"));
    expect(managedPolicy.map((a) => a.path)).toEqual(["Nag/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Role"]);
  });

  it("explains every IAM wildcard by one of the listed grants", () => {
    // Act
    const wildcards = acknowledged.filter((a) => a.id.startsWith("AwsSolutions-IAM5"));
    // Assess
    expect(wildcards.length).toBeGreaterThan(0);
    // Each acknowledgement's reason is made of the listed grants' reasons and nothing else.
    for (const w of wildcards) expect(WILDCARD_GRANTS.reduce((rest, g) => rest.replace(g.reason, ""), w.reason).trim(), w.id).toBe("");
  });

  it("grants '*' resources only for X-Ray and the state machines' log delivery", () => {
    // Prepare
    const statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    // Act
    const star = statements.filter((s) => s.Effect === "Allow" && resourcesOf(s).includes("*"));
    // Assess
    expect(star.length).toBeGreaterThan(0);
    for (const s of star) for (const action of actionsOf(s)) expect(action).toMatch(/^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|logs:(Create|Get|Update|Delete|List)LogDeliver(y|ies)|logs:(PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$/);
    for (const s of statements) for (const action of actionsOf(s)) expect(action, "no service-wide action").not.toMatch(/:\*$/);
  });
});

describe("least privilege, per Lambda", () => {
  const { template } = synthesized();
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
  const functions = Object.entries(resources).filter(([, r]) => r.Type === "AWS::Lambda::Function");
  const ours = functions.filter(([id]) => !id.startsWith("BucketNotificationsHandler"));
  const statementsOfRole = (role: string) =>
    Object.values(resources)
      .filter((r) => r.Type === "AWS::IAM::Policy" && (r.Properties.Roles as { Ref: string }[]).some((x) => x.Ref === role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const roleOf = (fn: { Properties: Record<string, any> }) => (fn.Properties.Role as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0];

  it("gives no role of ours a managed policy (not even AWSLambdaBasicExecutionRole)", () => {
    // Act and assess
    expect(ours.length).toBeGreaterThanOrEqual(13);
    for (const [id, fn] of ours) expect(resources[roleOf(fn)]!.Properties.ManagedPolicyArns, id).toBeUndefined();
  });

  it("lets each Lambda write logs to its own log group only", () => {
    // Act and assess
    for (const [id, fn] of ours) {
      const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      const logs = statementsOfRole(roleOf(fn)).filter((s) => actionsOf(s).some((a) => a.startsWith("logs:")));
      expect(logs, id).toHaveLength(1);
      expect(actionsOf(logs[0]!).sort()).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
      expect(logs[0]!.Resource).toEqual({ "Fn::GetAtt": [logGroup, "Arn"] });
    }
  });

  it("grants each Lambda exactly the actions its handler calls", () => {
    // Act
    const granted = Object.fromEntries(
      ours.map(([id, fn]) => [
        id.replace(/[0-9A-F]{8}$/, ""),
        [...new Set(statementsOfRole(roleOf(fn)).flatMap(actionsOf))].filter((a) => !a.startsWith("logs:") && !a.startsWith("xray:")).sort(),
      ]),
    );

    // Assess
    const stream = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"];
    const streamFailures = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"];
    // GetSecretValue only: no handler calls DescribeSecret.
    const secret = ["secretsmanager:GetSecretValue"];
    const expected: Record<string, string[]> = {
      // Routes: contacts, orders, events, coupon codes; export jobs started (StartExecution) and their links signed (GetObject). No Scan or DeleteItem.
      IngestionHandler: ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "s3:GetObject", ...secret, "states:StartExecution"],
      // The members and their figures read, the job read and updated, the file written in parts (or aborted).
      SegmentExportExporter: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem", "s3:AbortMultipartUpload", "s3:PutObject"],
      IngestionAuthorizer: ["ssm:GetParameter"],
      // The uploaded object, its report, the table; failed events to its dead-letter queue.
      BulkImportImporter: ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "s3:GetObject", "s3:PutObject", "sqs:SendMessage"],
      EmailFeedback: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "sqs:SendMessage"],
      // The set and the contact's code read together (BatchGetItem); a code claimed, returned or recorded. No Query, no BatchWriteItem.
      WorkflowsAssignCoupon: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
      WorkflowsSendEmail: ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", ...secret, "ses:SendEmail"],
      WorkflowsCheckPurchases: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
      // The held-out contact: its profile read, its enrolment updated.
      WorkflowsHoldOut: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
      WorkflowsRecordOutcome: ["dynamodb:UpdateItem"],
      // Members a page at a time, their enrolments 100 at a time, each new one written; the execution started.
      WorkflowsEnrol: ["dynamodb:BatchGetItem", ...stream, "dynamodb:PutItem", "dynamodb:Query", ...streamFailures, "states:StartExecution"].sort(),
      NightlyPlan: ["dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan"],
      NightlyScoreSegment: ["dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"],
      NightlyFinish: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
      ContactChangesHandler: ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", ...stream, "dynamodb:GetItem", "dynamodb:Query", ...streamFailures].sort(),
    };
    expect(granted).toEqual(expected);
  });
});
