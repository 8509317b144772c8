import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Function as LambdaFunction, IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import { Choice, Condition, DefinitionBody, Fail, JsonPath, LogLevel, StateMachine, StateMachineType, Succeed, TaskInput, Timeout } from "aws-cdk-lib/aws-stepfunctions";
import { DynamoAttributeValue, DynamoUpdateItem, LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import { EXPORT_PREFIX } from "../functions/adapters/s3/segment-export.js";
import { exportJobKey } from "../functions/domain/store/table-keys.js";
import { SEGMENT_EXPORT_DEFAULTS, handlerFunction, withoutUndefined } from "./lambda-function.js";
import { STATE_MACHINE_LOG_LEVEL_REASON } from "./nightly-scoring.js";

/** The exporter's limit: Lambda's longest. A million members take about a minute (npm run bench -- export). */
const EXPORTER_TIMEOUT = Duration.minutes(15);

export interface SegmentExportProps {
  readonly table: ITableV2;
  /**
   * How long a download link works; at most 7 days (SigV4).
   * @default Duration.hours(1) (SEGMENT_EXPORT_DEFAULTS, lib/lambda-function.ts)
   */
  readonly urlExpiry?: Duration;
  /**
   * How long an export is kept before the bucket deletes it.
   * @default Duration.days(7)
   */
  readonly retention?: Duration;
}

/**
 * Segment exports as jobs (README, "Segment exports"): `POST /segments/{id}/export` records a pending
 * job in the table and starts this construct's state machine, whose exporter Lambda writes the CSV of
 * the segment's members to a private bucket a page at a time (multipart upload) and marks the job
 * done; if the exporter dies (timeout, out of memory) the state machine marks it failed. `GET
 * /exports/{id}` answers the job and, when done, a pre-signed URL that expires. The files hold
 * e-mail addresses, so the bucket is private, encrypted, SSL-only, and deletes every export after `retention`.
 */
export class SegmentExport extends Construct {
  readonly bucket: Bucket;
  readonly exportFunction: IFunction;
  readonly stateMachine: StateMachine;
  /** What the Lambda that starts exports and answers their state (the HTTP API's) needs in its environment. */
  readonly environment: Record<string, string>;
  private readonly table: ITableV2;

  constructor(scope: Construct, id: string, props: SegmentExportProps) {
    super(scope, id);
    const { urlExpiry, retention } = { ...SEGMENT_EXPORT_DEFAULTS, ...withoutUndefined(props) };
    if (urlExpiry.toSeconds() < 60 || urlExpiry.toSeconds() > 7 * 24 * 3600) throw new Error(`urlExpiry must be between 1 minute and 7 days, got ${urlExpiry.toHumanString()}`);
    this.table = props.table;
    this.bucket = new Bucket(this, "Exports", {
      // S3-managed keys: a KMS key would need kms:Decrypt for whoever follows the pre-signed URL's signer.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [{ prefix: EXPORT_PREFIX, expiration: retention, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      // Kept if the stack goes (it may hold the last exports); the lifecycle rule still empties it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const exports = this.bucket.arnForObjects(`${EXPORT_PREFIX}*`);

    const exporter = handlerFunction(this, "Exporter", "segment-export.ts", {
      environment: { TABLE_NAME: props.table.tableName, EXPORT_BUCKET: this.bucket.bucketName },
      // 1,000 members a page (20 BatchGetItem requests in flight), one 8 MiB part buffered: memory is
      // for the vCPU (1,769 MB is one whole one) more than for the data.
      timeout: EXPORTER_TIMEOUT,
      memorySize: 1769,
    });
    // Query: the segment definitions and the members; BatchGetItem: their profiles and scores;
    // GetItem and UpdateItem: the job.
    props.table.grant(exporter, "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem");
    // s3:PutObject covers PutObject and the multipart upload's Create, UploadPart and Complete; Abort has its own action.
    exporter.addToRolePolicy(new PolicyStatement({ actions: ["s3:PutObject", "s3:AbortMultipartUpload"], resources: [exports] }));
    this.exportFunction = exporter;

    // The job as the exporter left it; if the exporter itself failed, the job is marked failed here.
    const jobKey = exportJobKey("{}");
    const stopped = new Fail(this, "ExportStopped", { errorPath: "$.error.Error", causePath: "$.error.Cause" });
    const markFailed = new DynamoUpdateItem(this, "MarkFailed", {
      table: props.table,
      key: { PK: DynamoAttributeValue.fromString(JsonPath.format(jobKey.PK, JsonPath.stringAt("$.exportId"))), SK: DynamoAttributeValue.fromString(jobKey.SK) },
      updateExpression: "SET #status = :failed, finishedAt = :at, reason = :reason",
      conditionExpression: "attribute_exists(PK) AND #status <> :done",
      expressionAttributeNames: { "#status": "status" },
      expressionAttributeValues: {
        ":failed": DynamoAttributeValue.fromString("failed"),
        ":done": DynamoAttributeValue.fromString("done"),
        ":at": DynamoAttributeValue.fromString(JsonPath.stringAt("$$.State.EnteredTime")),
        ":reason": DynamoAttributeValue.fromString(JsonPath.format("the exporter stopped ({}); the export state machine's execution {} has the details", JsonPath.stringAt("$.error.Error"), JsonPath.stringAt("$$.Execution.Id"))),
      },
      resultPath: JsonPath.DISCARD,
    });
    markFailed.addCatch(stopped, { resultPath: JsonPath.DISCARD });
    markFailed.next(stopped);
    const run = new LambdaInvoke(this, "RunExport", {
      lambdaFunction: exporter,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({ exportId: JsonPath.stringAt("$.exportId") }),
      resultPath: "$.job",
      // A Task's timeout is 60 seconds unless set; the Lambda's own limit, and a minute for the call.
      taskTimeout: Timeout.duration(EXPORTER_TIMEOUT.plus(Duration.minutes(1))),
    });
    run.addCatch(markFailed, { resultPath: "$.error" });
    const outcome = new Choice(this, "Exported?")
      .when(Condition.stringEquals("$.job.status", "failed"), new Fail(this, "ExportFailed", { error: "ExportFailed", causePath: "$.job.reason" }))
      .otherwise(new Succeed(this, "Exported"));
    this.stateMachine = new StateMachine(this, "StateMachine", {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(run.next(outcome)),
      timeout: Duration.minutes(30),
      tracingEnabled: true,
      logs: { destination: new LogGroup(this, "StateMachineLogs", { retention: RetentionDays.ONE_MONTH }), level: LogLevel.ERROR },
    });
    Validations.of(this.stateMachine).acknowledge({ id: "AwsSolutions-SF1", reason: STATE_MACHINE_LOG_LEVEL_REASON });

    this.environment = {
      EXPORT_BUCKET: this.bucket.bucketName,
      EXPORT_URL_EXPIRES_SECONDS: String(urlExpiry.toSeconds()),
      EXPORT_RETENTION_DAYS: String(retention.toDays()),
      EXPORT_STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
    };
  }

  /**
   * Lets another Lambda (the HTTP API's) start exports and answer their state: the environment and
   * exactly the rights those routes call.
   */
  grantRequest(fn: LambdaFunction): void {
    for (const [name, value] of Object.entries(this.environment)) fn.addEnvironment(name, value);
    // Query: the segment exists; PutItem: the pending job; GetItem: its state; UpdateItem: failed when it cannot be started.
    this.table.grant(fn, "dynamodb:Query", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem");
    this.stateMachine.grantStartExecution(fn);
    // The pre-signed URL is signed with the API's role: S3 checks the signer's right to GetObject when the URL is followed.
    fn.addToRolePolicy(new PolicyStatement({ actions: ["s3:GetObject"], resources: [this.bucket.arnForObjects(`${EXPORT_PREFIX}*`)] }));
  }
}
