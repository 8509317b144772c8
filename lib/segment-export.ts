import { Duration, RemovalPolicy } from "aws-cdk-lib";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Function as LambdaFunction, IFunction } from "aws-cdk-lib/aws-lambda";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { EXPORT_PREFIX } from "../functions/adapters/s3/segment-export.js";
import { handlerFunction } from "./lambda-function.js";

export interface SegmentExportProps {
  table: ITableV2;
  /** How long a download link works; at most 7 days (SigV4). Default 1 hour. */
  urlExpiry?: Duration;
  /** How long an export is kept before the bucket deletes it. Default 7 days. */
  retention?: Duration;
}

/**
 * Segment exports on AWS: a Lambda (event `{ "segmentId": "win-back" }`) writes the CSV of a segment's
 * members with e-mail and every figure to a private bucket and answers with a pre-signed URL that
 * expires. The files hold e-mail addresses, so the bucket is private, encrypted, SSL-only, and
 * deletes every export after `retention`.
 */
export class SegmentExport extends Construct {
  readonly bucket: Bucket;
  readonly exportFunction: IFunction;
  /** What a Lambda that exports in-process (the HTTP API's) needs in its environment. */
  readonly environment: Record<string, string>;
  private readonly table: ITableV2;

  constructor(scope: Construct, id: string, props: SegmentExportProps) {
    super(scope, id);
    const urlExpiry = props.urlExpiry ?? Duration.hours(1);
    if (urlExpiry.toSeconds() < 60 || urlExpiry.toSeconds() > 7 * 24 * 3600) throw new Error(`urlExpiry must be between 1 minute and 7 days, got ${urlExpiry.toHumanString()}`);
    this.table = props.table;
    this.bucket = new Bucket(this, "Exports", {
      // S3-managed keys: a KMS key would need kms:Decrypt for whoever follows the pre-signed URL's signer.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [{ prefix: EXPORT_PREFIX, expiration: props.retention ?? Duration.days(7), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      // Kept if the stack goes (it may hold the last exports); the lifecycle rule still empties it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.environment = { EXPORT_BUCKET: this.bucket.bucketName, EXPORT_URL_EXPIRES_SECONDS: String(urlExpiry.toSeconds()) };
    const exporter = handlerFunction(this, "Exporter", "segment-export.ts", {
      environment: { TABLE_NAME: props.table.tableName, ...this.environment },
      // A big segment: 1,000 members a page, 20 BatchGetItem requests each, the CSV built in memory.
      timeout: Duration.minutes(5),
      memorySize: 1769,
    });
    this.grantExportRights(exporter);
    this.exportFunction = exporter;
  }

  /**
   * Lets another Lambda (the HTTP API's, for `POST /segments/{id}/export`) run the same export
   * in-process: the environment and the same least-privilege rights.
   */
  grantExport(fn: LambdaFunction): void {
    for (const [name, value] of Object.entries(this.environment)) fn.addEnvironment(name, value);
    this.grantExportRights(fn);
  }

  private grantExportRights(fn: IFunction): void {
    // Query: the segment's definitions and members; BatchGetItem: the members' profiles and scores.
    this.table.grant(fn, "dynamodb:Query", "dynamodb:BatchGetItem");
    // PutObject writes the export; GetObject is what the pre-signed URL is signed for: S3 checks the
    // signer's right to it when the URL is followed.
    fn.addToRolePolicy(new PolicyStatement({ actions: ["s3:PutObject", "s3:GetObject"], resources: [this.bucket.arnForObjects(`${EXPORT_PREFIX}*`)] }));
  }
}
