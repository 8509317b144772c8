import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { shippedWorkflow } from "../../functions/adapters/files/workflow-files.js";
import { stackTemplate } from "../support/test-stack.js";

/**
 * The bytes of a Lambda's environment as deployed: a reference (a table name, an ARN) counted as 100
 * characters, as it will be once resolved. Lambda refuses a deploy past 4 KB.
 */
function environmentBytes(variables: Record<string, unknown>): number {
  const size = (value: unknown): number => {
    if (typeof value === "string") return Buffer.byteLength(value);
    if (Array.isArray(value)) return value.reduce((sum: number, part) => sum + size(part), 0);
    const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
    if (join) return join[1].reduce((sum: number, part) => sum + size(part), join[0].length * Math.max(0, join[1].length - 1));
    return 100;
  };
  return Object.entries(variables).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + size(value), 0);
}

describe("ClvStack", () => {
  const template = stackTemplate("Test");

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
    // Prepare
    const tables = template.findResources("AWS::DynamoDB::GlobalTable");
    // Act and assess
    expect(Object.values(tables).every((t) => t.DeletionPolicy === "Retain")).toBe(true);
  });
});

describe("the ingestion API", () => {
  const template = stackTemplate("Api", { apiKeyHashes: ["ab".repeat(32)] });

  it("puts every route but unsubscribe behind the API key authorizer", () => {
    // Act
    const routes = Object.values(template.findResources("AWS::ApiGatewayV2::Route")).map((r) => r.Properties as { RouteKey: string; AuthorizationType?: string });
    // Assess
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([
      "DELETE /contacts/{id}",
      "GET /contacts/{id}",
      "GET /exports/{id}",
      "GET /unsubscribe",
      "GET /workflows",
      "GET /workflows/{id}",
      "POST /coupon-sets/{id}/codes",
      "POST /events",
      "POST /orders",
      "POST /segments/{id}/export",
      "POST /unsubscribe",
      "PUT /contacts/{id}",
    ]);
    for (const route of routes) expect(route.AuthorizationType, route.RouteKey).toBe(route.RouteKey.endsWith(" /unsubscribe") ? "NONE" : "CUSTOM");
    template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", { AuthorizerType: "REQUEST", EnableSimpleResponses: true, IdentitySource: ["$request.header.x-api-key"] });
  });

  it("answers GET /workflows/{id} from the workflows deployed, reading their enrolments with a Query and no Scan", () => {
    // Prepare
    const handlers = Object.entries(template.findResources("AWS::Lambda::Function")).filter(([id]) => id.startsWith("IngestionHandler"));
    const [[handlerId, handler]] = handlers as [[string, { Properties: { Environment: { Variables: Record<string, unknown> }; Role: { "Fn::GetAtt": [string] } } }]];
    const integrations = Object.values(template.findResources("AWS::ApiGatewayV2::Integration")).map((i) => JSON.stringify(i.Properties.IntegrationUri));
    const route = Object.values(template.findResources("AWS::ApiGatewayV2::Route")).find((r) => r.Properties.RouteKey === "GET /workflows/{id}")!;
    const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === handler.Properties.Role["Fn::GetAtt"][0]));
    const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => [s.Action].flat());

    // Assess
    // The definitions travel in the bundle (test/cdk/synth.test.ts reads them there), not in the environment.
    expect(Object.keys(handler.Properties.Environment.Variables)).not.toContain("WORKFLOWS");
    expect(integrations.some((uri) => uri.includes(handlerId))).toBe(true);
    expect(route.Properties.AuthorizationType).toBe("CUSTOM");
    expect(actions).toContain("dynamodb:Query");
    expect(actions).not.toContain("dynamodb:Scan");
  });

  it("keeps the API keys only as hashes in SSM, and the unsubscribe secret in Secrets Manager", () => {
    template.hasResourceProperties("AWS::SSM::Parameter", { Value: "ab".repeat(32) });
    template.resourceCountIs("AWS::SecretsManager::Secret", 1);
  });

  it("runs every Lambda of ours on Node.js 22", () => {
    // Prepare
    const functions = Object.values(template.findResources("AWS::Lambda::Function")).map((f) => f.Properties as { Runtime?: string; Environment?: { Variables?: Record<string, unknown> } });
    // Act
    const ours = functions.filter((f) => f.Environment?.Variables?.TABLE_NAME !== undefined);
    // Assess
    expect(ours.length).toBeGreaterThanOrEqual(7);
    for (const f of ours) expect(f.Runtime).toBe("nodejs22.x");
  });

  it("imports uploads from an encrypted, private bucket, one prefix per kind", () => {
    // Prepare
    template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    const notifications = Object.values(template.findResources("Custom::S3BucketNotifications"))[0]!.Properties as {
      NotificationConfiguration: { LambdaFunctionConfigurations: { Filter: { Key: { FilterRules: { Name: string; Value: string }[] } } }[] };
    };
    // Act
    const prefixes = notifications.NotificationConfiguration.LambdaFunctionConfigurations.map((c) => c.Filter.Key.FilterRules.find((r) => r.Name === "prefix")!.Value);
    // Assess
    expect(prefixes.sort()).toEqual(["imports/contacts/", "imports/orders/"]);
  });
});

describe("the nightly job", () => {
  const template = stackTemplate("Night", { timeZone: "Europe/Madrid", nightlyHour: 2 });
  const policyOf = (functionLogicalIdPrefix: string) => {
    const roles = Object.entries(template.findResources("AWS::Lambda::Function"))
      .filter(([id]) => id.startsWith(functionLogicalIdPrefix))
      .map(([, f]) => (f.Properties.Role as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0]);
    expect(roles).toHaveLength(1);
    const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roles[0]));
    return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => [s.Action].flat());
  };

  it("starts at night in the store's time zone, with the time it fired as input", () => {
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "cron(0 2 * * ? *)",
      ScheduleExpressionTimezone: "Europe/Madrid",
      Target: { Input: JSON.stringify({ scheduledTime: "<aws.scheduler.scheduled-time>" }) },
    });
  });

  it("is a Standard state machine: plan → Distributed Map over the plan's scan segments → finish", () => {
    // Prepare
    const [machine] = Object.values(template.findResources("AWS::StepFunctions::StateMachine")).filter((m) => JSON.stringify(m.Properties.DefinitionString).includes("Plan the night"));
    // Act
    const text = JSON.stringify(machine!.Properties.DefinitionString);
    // Assess
    expect(text).toContain('\\"Mode\\":\\"DISTRIBUTED\\"');
    expect(text).toContain('\\"ItemsPath\\":\\"$.plan.scanSegments\\"');
    expect(text).not.toContain("ItemReader");
    expect(text).toContain("ProvisionedThroughputExceededException");
  });

  it("rescores a contact from the stream of PROFILE items and further order summary pages only, with failed records to a dead-letter queue", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ dynamodb: { Keys: { SK: { S: ["PROFILE"] } } } }) },
          { Pattern: JSON.stringify({ dynamodb: { Keys: { SK: { S: [{ prefix: "SUMMARY#" }] } } } }) },
        ],
      },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it("grants each step only the table actions it uses", () => {
    // Prepare
    const table = (actions: string[]) => actions.filter((a) => a.startsWith("dynamodb:")).sort();
    // Act and assess
    expect(table(policyOf("NightlyPlan"))).toEqual(["dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan"]);
    expect(table(policyOf("NightlyFinish"))).toEqual(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]);
    expect(table(policyOf("NightlyScoreSegment"))).toEqual(["dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]);
  });
});

describe("a store with many workflows", () => {
  it("deploys: every Lambda's environment stays under Lambda's 4 KB with 20 workflows", () => {
    // Prepare: twenty workflows, ~500 bytes of definition each.
    const workflow = shippedWorkflow("win-back");
    const workflows = Array.from({ length: 20 }, (_, i) => ({ ...workflow, id: `${workflow.id}-${i + 1}` }));

    // Act
    const template = stackTemplate("ManyWorkflows", { workflows });
    const functions = Object.entries(template.findResources("AWS::Lambda::Function")) as [string, { Properties: { Environment?: { Variables: Record<string, unknown> } } }][];
    const sizes = functions.map(([id, f]) => [id, environmentBytes(f.Properties.Environment?.Variables ?? {})] as const);

    // Assess
    expect(Object.keys(template.findResources("AWS::StepFunctions::StateMachine")).filter((id) => id.startsWith("Workflows"))).toHaveLength(20);
    expect(sizes.filter(([, bytes]) => bytes >= 4096)).toEqual([]);
    const enrol = functions.find(([id]) => id.startsWith("WorkflowsEnrol") && !id.includes("DeadLetters"))!;
    const machines = enrol[1].Properties.Environment!.Variables.WORKFLOW_STATE_MACHINES;
    expect(JSON.stringify(machines)).toContain(`${workflow.id}-20`);
  });
});
