import { Duration, RemovalPolicy } from "aws-cdk-lib";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { BlockPublicAccess, Bucket, BucketEncryption, EventType } from "aws-cdk-lib/aws-s3";
import { LambdaDestination } from "aws-cdk-lib/aws-s3-notifications";
import { Construct } from "constructs";
import { handlerFunction } from "./lambda-function.js";

/**
 * Bulk import on AWS: upload a contacts or orders CSV under imports/contacts/ or imports/orders/ and a
 * Lambda streams it into the table, writing its report (each bad row, row and field) under reports/.
 */
export class BulkImport extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: { table: ITableV2 }) {
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
    const importer = handlerFunction(this, "Importer", "import-upload.ts", {
      environment: { TABLE_NAME: props.table.tableName },
      timeout: Duration.minutes(15),
      memorySize: 1024,
      // One file at a time: an import already writes with all the concurrency the table takes.
      reservedConcurrentExecutions: 1,
    });
    props.table.grantReadWriteData(importer);
    this.bucket.grantRead(importer, "imports/*");
    this.bucket.grantPut(importer, "reports/*");
    for (const prefix of ["imports/orders/", "imports/contacts/"]) {
      this.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(importer), { prefix, suffix: ".csv" });
    }
  }
}
