import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { ContactChanges, type ContactChangesProps } from "../../lib/contact-changes.js";
import { LOCAL_SYNTH_CONTEXT } from "../../lib/lambda-function.js";
import { StoreTable } from "../../lib/store-table.js";

/** A small stack: the table and the construct, its Lambda not bundled. */
function build(props: Omit<ContactChangesProps, "table"> = {}) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [], [LOCAL_SYNTH_CONTEXT]: true } });
  const stack = new Stack(app, "Changes", { env: { account: "123456789012", region: "eu-west-1" } });
  const changes = new ContactChanges(stack, "ContactChanges", { table: new StoreTable(stack, "Store").table, ...props });
  return { changes, template: Template.fromStack(stack) };
}

describe("ContactChanges", () => {
  it("reads the table's stream, only PROFILE items and further order summary pages, in batches of 100 gathered for 1 second, reporting failed records", () => {
    // Act
    const { template } = build();

    // Assess
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      StartingPosition: "LATEST",
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ dynamodb: { Keys: { SK: { S: ["PROFILE"] } } } }) },
          { Pattern: JSON.stringify({ dynamodb: { Keys: { SK: { S: [{ prefix: "SUMMARY#" }] } } } }) },
        ],
      },
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", 1);
    template.hasResourceProperties("AWS::Lambda::Function", { Timeout: 30, Environment: { Variables: Match.objectLike({ TABLE_NAME: Match.anyValue() }) } });
  });

  it("keeps the records that still fail in its own encrypted dead-letter queue for 14 days", () => {
    // Act
    const { template, changes } = build();

    // Assess
    template.hasResourceProperties("AWS::SQS::Queue", { MessageRetentionPeriod: 14 * 86_400, SqsManagedSseEnabled: true });
    expect(changes.deadLetters.node.path).toBe("Changes/ContactChanges/DeadLetters");
  });

  it("takes a longer batching window and timeout when given", () => {
    // Act
    const { template } = build({ maxBatchingWindow: Duration.seconds(5), timeout: Duration.minutes(2) });

    // Assess
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", { MaximumBatchingWindowInSeconds: 5 });
    template.hasResourceProperties("AWS::Lambda::Function", { Timeout: 120 });
  });
});
