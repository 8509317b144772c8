import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { describe, expect, it } from "vitest";
import { EmailSending } from "../../lib/email-sending.js";
import { StoreTable } from "../../lib/store-table.js";

/** A small stack: the table, the construct, and a stand-in for the workflow's sending Lambda. */
function build() {
  const stack = new Stack(new App(), "Mail", { env: { account: "123456789012", region: "eu-west-1" } });
  const { table } = new StoreTable(stack, "Store");
  const email = new EmailSending(stack, "Email", { table, identity: "shop.example", configurationSetName: "clv-mail" });
  const sender = new LambdaFunction(stack, "Sender", { runtime: Runtime.NODEJS_22_X, handler: "index.handler", code: Code.fromInline("exports.handler = async () => {}"), environment: email.sendingEnvironment });
  email.grantSend(sender);
  return { stack, email, template: Template.fromStack(stack) };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const statementsOf = (template: Template, roleLogicalIdPrefix: string): Statement[] =>
  Object.values(template.findResources("AWS::IAM::Policy"))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(roleLogicalIdPrefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
const actionsOf = (s: Statement) => [s.Action].flat();

describe("EmailSending", () => {
  it("limits the sender to the one address when the identity is an address", () => {
    // Prepare
    const stack = new Stack(new App(), "MailAddress", { env: { account: "123456789012", region: "eu-west-1" } });
    const email = new EmailSending(stack, "Email", { table: new StoreTable(stack, "Store").table, identity: "hello@shop.example" });
    // Act and assess
    expect(email.fromAddresses).toEqual(["hello@shop.example"]);
  });

  const { template } = build();
  const [setId] = Object.keys(template.findResources("AWS::SES::ConfigurationSet"));
  const setName = { Ref: setId };

  it("has a configuration set that puts bounced and complaining addresses on the suppression list", () => {
    template.hasResourceProperties("AWS::SES::ConfigurationSet", {
      Name: "clv-mail",
      SuppressionOptions: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
  });

  it("publishes bounces and complaints (only) to EventBridge's default bus", () => {
    // Prepare
    template.hasResourceProperties("AWS::SES::ConfigurationSetEventDestination", {
      ConfigurationSetName: setName,
      EventDestination: { Enabled: true, MatchingEventTypes: ["bounce", "complaint"], EventBridgeDestination: Match.anyValue() },
    });
    // Act
    const [destination] = Object.values(template.findResources("AWS::SES::ConfigurationSetEventDestination"));
    // Assess
    expect(JSON.stringify(destination!.Properties.EventDestination.EventBridgeDestination.EventBusArn)).toMatch(/:events:eu-west-1:123456789012:event-bus\/default"/);
  });

  it("routes this configuration set's bounces and complaints to the feedback Lambda, with a dead-letter queue", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.ses"],
        "detail-type": ["Email Bounced", "Email Complaint Received"],
        detail: { mail: { tags: { "ses:configuration-set": [setName] } } },
      },
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^EmailFeedback[0-9A-F]+$"), "Arn"] }, DeadLetterConfig: Match.anyValue(), RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 } })],
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Environment: { Variables: { TABLE_NAME: Match.anyValue() } },
      DeadLetterConfig: { TargetArn: Match.anyValue() },
    });
    template.hasResourceProperties("AWS::SQS::Queue", { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
  });

  it("lets the feedback Lambda read and update contacts and nothing else", () => {
    // Act
    const actions = statementsOf(template, "EmailFeedbackServiceRole").flatMap(actionsOf).filter((a) => a.startsWith("dynamodb:"));
    // Assess
    expect(actions.sort()).toEqual(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]);
  });

  it("grants a sending Lambda ses:SendEmail from the store's addresses through its configuration set, recipients' identities included (sandbox), and its send-log rights", () => {
    // Prepare
    const statements = statementsOf(template, "SenderServiceRole");
    // Act
    const ses = statements.filter((s) => actionsOf(s).some((a) => a.startsWith("ses:")));
    // Assess
    expect(ses).toHaveLength(1);
    expect(actionsOf(ses[0]!)).toEqual(["ses:SendEmail"]);
    const resources = [ses[0]!.Resource].flat().map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(2);
    // Every identity of the account: in the sandbox SES also checks the verified recipient's identity.
    expect(resources[0]).toContain(`":ses:eu-west-1:123456789012:identity/*"`);
    expect(resources[1]).toContain(`":ses:eu-west-1:123456789012:configuration-set/",{"Ref":"${setId}"}`);
    // ...but only for mail from the store's own domain.
    expect((ses[0] as Statement & { Condition?: unknown }).Condition).toEqual({ StringLike: { "ses:FromAddress": ["*@shop.example"] } });
    const dynamo = statements.flatMap(actionsOf).filter((a) => a.startsWith("dynamodb:"));
    expect(dynamo.sort()).toEqual(["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]);
  });

  it("tells the sending Lambda the configuration set and table", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "index.handler",
      Environment: { Variables: { SES_CONFIGURATION_SET: setName, TABLE_NAME: Match.anyValue() } },
    });
  });
});
