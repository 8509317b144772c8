import { CfnOutput, RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, Billing, StreamViewType, TableEncryptionV2, TableV2 } from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";

export interface StoreTableProps {
  /**
   * What happens to the table when the stack is deleted or the table replaced.
   * @default RemovalPolicy.RETAIN: a store's customer data outlives a stack update or deletion by mistake
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The store's one DynamoDB table (docs/design.md, "Data model"): contacts with their running order summary,
 * orders, e-mail events, scores, segments, coupons, model runs and workflow enrolments, keyed by
 * PK/SK. On demand, with point-in-time recovery, encrypted, and a stream of new and old images for
 * the contact-change flow.
 */
export class StoreTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: StoreTableProps = {}) {
    super(scope, id);
    this.table = new TableV2(this, "Table", {
      partitionKey: { name: "PK", type: AttributeType.STRING },
      sortKey: { name: "SK", type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.awsManagedKey(),
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // The command line's --table, to create segments and import coupon codes into the deployed table.
    new CfnOutput(this, "TableName", { value: this.table.tableName });
  }
}
