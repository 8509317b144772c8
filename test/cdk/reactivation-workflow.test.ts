import { describe, expect, it } from "vitest";
import { stackTemplate } from "../support/test-stack.js";

describe("the reactivation workflows in the stack", () => {
  const template = stackTemplate("Workflows", { senderIdentity: "shop.example", storeName: "Shop", storeUrl: "https://shop.example" });
  const machines = Object.entries(template.findResources("AWS::StepFunctions::StateMachine"));
  const [, workflow] = machines.find(([id]) => id.startsWith("WorkflowsWorkflowlowclvreactivation"))!;
  const definition = JSON.stringify(workflow.Properties.DefinitionString);

  /** The table actions of the Lambda whose logical id starts with the prefix, from its role's policies. */
  const tableActionsOf = (functionLogicalIdPrefix: string) => {
    const [fn] = Object.entries(template.findResources("AWS::Lambda::Function")).filter(([id]) => id.startsWith(functionLogicalIdPrefix));
    const role = (fn![1].Properties.Role as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0];
    const statements = Object.values(template.findResources("AWS::IAM::Policy"))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]);
    const actions = statements.flatMap((s) => [s.Action].flat());
    // Reading the table's stream and sending failures to the dead-letter queue come with an event source mapping.
    const streamOrQueue = (a: string) => ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"].includes(a) || a.startsWith("sqs:");
    return {
      table: actions.filter((a) => a.startsWith("dynamodb:") && !streamOrQueue(a)).sort(),
      // Logs: each Lambda writes to its own log group (lib/lambda-function.ts), checked in nag.test.ts.
      other: [...new Set(actions.filter((a) => !a.startsWith("dynamodb:") && !a.startsWith("xray:") && !a.startsWith("logs:") && !streamOrQueue(a)))].sort(),
    };
  };

  it("waits natively for 7 days (604,800 seconds) between the coupon and the checks", () => {
    // Act and assess
    expect(definition).toContain('\\"Type\\":\\"Wait\\",\\"Seconds\\":604800');
  });

  it("decides with Choice states: in segment, coupon assigned, e-mail sent, still in segment, purchased", () => {
    // Act and assess
    for (const choice of ["Is in segment?", "Held out?", "Has a coupon?", "Coupon e-mail sent?", "Still in segment?", "Purchased in the window?"]) expect(definition).toContain(`\\"${choice}\\":{\\"Type\\":\\"Choice\\"`);
  });

  it("retries and catches every task", () => {
    // Prepare
    const states = JSON.parse(
      (workflow.Properties.DefinitionString as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1].map((p) => (typeof p === "string" ? p : "ARN")).join(""),
    ).States as Record<string, { Type: string; Retry?: unknown[]; Catch?: unknown[] }>;
    // Act and assess
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== "Task" || name === "Record failure") continue;
      expect(state.Retry?.length, name).toBeGreaterThan(0);
      expect(state.Catch?.length, name).toBeGreaterThan(0);
    }
  });

  it("grants each task only what it uses", () => {
    // Act and assess
    expect(tableActionsOf("WorkflowsRecordOutcome").table).toEqual(["dynamodb:UpdateItem"]);
    expect(tableActionsOf("WorkflowsCheckPurchases").table).toEqual(["dynamodb:GetItem", "dynamodb:UpdateItem"]);
    expect(tableActionsOf("WorkflowsHoldOut")).toEqual({ table: ["dynamodb:GetItem", "dynamodb:UpdateItem"], other: [] });
    const send = tableActionsOf("WorkflowsSendEmail");
    expect(send.other).toEqual(["secretsmanager:GetSecretValue", "ses:SendEmail"]);
    expect(tableActionsOf("WorkflowsAssignCoupon").table).toEqual(["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]);
    expect(send.table).not.toContain("dynamodb:Scan");
    const enrol = tableActionsOf("WorkflowsEnrol");
    expect(enrol.other).toEqual(["states:StartExecution"]);
    expect(enrol.table).toEqual(["dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:Query"]);
    // The state machine itself reads the membership item and invokes the step functions, nothing else.
    const machineRole = (workflow.Properties.RoleArn as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0];
    const machineActions = Object.values(template.findResources("AWS::IAM::Policy"))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === machineRole))
      .flatMap((p) => (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => [s.Action].flat()));
    expect([...new Set(machineActions)].filter((a) => !a.startsWith("xray:") && !a.startsWith("logs:")).sort()).toEqual(["dynamodb:GetItem", "lambda:InvokeFunction"]);
  });

  it("enrols entrants from the stream of membership items turned active, and after the night", () => {
    // Prepare
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { PK: { S: [{ prefix: "SEGMENT#" }] }, SK: { S: [{ prefix: "CONTACT#" }] } }, NewImage: { active: { BOOL: [true] } } } }) }] },
    });
    // Act
    const [, night] = machines.find(([id]) => id.startsWith("NightlyStateMachine"))!;
    // Assess
    expect(JSON.stringify(night.Properties.DefinitionString)).toContain("Enrol segment members");
  });
});
