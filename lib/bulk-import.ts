import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { BlockPublicAccess, Bucket, BucketEncryption, EventType } from "aws-cdk-lib/aws-s3";
import { LambdaDestination } from "aws-cdk-lib/aws-s3-notifications";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { handlerFunction } from "./lambda-function.js";

export interface BulkImportProps {
  /** The store's table the uploads are imported into. */
  readonly table: ITableV2;
}

/**
 * Bulk import on AWS: upload a contacts or orders CSV under imports/contacts/ or imports/orders/ and a
 * Lambda streams it into the table, writing its report (each bad row, row and field) under reports/.
 */
export class BulkImport extends Construct {
  readonly bucket: Bucket;
  /** Upload events the importer failed on after Lambda's two retries (S3 invokes it asynchronously), kept 14 days. */
  readonly importDeadLetters: Queue;

  constructor(scope: Construct, id: string, props: BulkImportProps) {
    super(scope, id);
    this.bucket = new Bucket(this, "Uploads", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      // Uploads are copies of the store's own exports; the table keeps what matters.
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "Uploads are the store's own CSV exports, written by its staff and deleted after 30 days; each import leaves its report (file, rows, rejected rows) under reports/. Object-level access can be audited with CloudTrail data events where a store needs it.",
    });
    new CfnOutput(this, "UploadBucket", { value: this.bucket.bucketName, description: "Upload CSVs under imports/orders/ or imports/contacts/" });
    this.importDeadLetters = new Queue(this, "ImportDeadLetters", { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    const importer = handlerFunction(this, "Importer", "import-upload.ts", {
      environment: { TABLE_NAME: props.table.tableName },
      timeout: Duration.minutes(15),
      memorySize: 1024,
      // No reserved concurrency (a new account may have none to give): two uploads imported at once are
      // safe, every write being conditional on what the store already has (test/integration/import-upload.test.ts).
      // An import is safe to repeat (a re-sent order is a no-op), so Lambda's retries are too.
      deadLetterQueue: this.importDeadLetters,
    });
    // The import's reads and writes of contacts and orders (recordOrders, putContacts): no Scan, no Delete.
    props.table.grant(importer, "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem");
    // The object it was told of and the report beside it: no listing, no other prefix.
    importer.addToRolePolicy(new PolicyStatement({ actions: ["s3:GetObject"], resources: [this.bucket.arnForObjects("imports/*")] }));
    importer.addToRolePolicy(new PolicyStatement({ actions: ["s3:PutObject"], resources: [this.bucket.arnForObjects("reports/*")] }));
    for (const prefix of ["imports/orders/", "imports/contacts/"]) {
      this.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(importer), { prefix, suffix: ".csv" });
    }
    // CDK's own handler that sets the bucket's notifications at deploy time (one per stack, made above).
    const notificationsRole = Stack.of(this).node.tryFindChild("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")?.node.tryFindChild("Role");
    if (notificationsRole) {
      Validations.of(notificationsRole).acknowledge({
        id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        reason: "CDK's bucket-notifications custom resource (runs only while CloudFormation deploys) comes with the basic execution role; CDK offers no way to scope it.",
      });
    }
  }
}
