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
