import { Duration, Stack, Validations } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { Architecture, Runtime, StartingPosition, Tracing, type IFunction } from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { NodejsFunction, type NodejsFunctionProps } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { fileURLToPath } from "node:url";
import { DEFAULT_EARLIEST_ORDER_DATE } from "../functions/domain/input/calendar-time.js";
import { DEFAULT_STORE_CURRENCY } from "../functions/domain/store/money.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Context set by the local runner, which synthesizes the stack only for its state machine
 * definitions: bundling is skipped there, and a fixed asset hash spares hashing the whole project
 * once per function (seconds each). The definitions do not depend on it.
 */
export const LOCAL_SYNTH_CONTEXT = "clv:localSynth";

/** Every function's NODE_OPTIONS: the bundles ship their source maps, and the runtime uses them. */
export const LAMBDA_NODE_OPTIONS = "--enable-source-maps";

/** The CloudWatch namespace of a stack's own metrics (functions/adapters/logging/metrics.ts writes to it). */
export const metricsNamespace = (scope: Construct) => `Clv/${Stack.of(scope).stackName}`;

/**
 * Every Lambda of the system is one file of functions/handlers/, bundled by the local esbuild (no
 * Docker) with the AWS SDK the lockfile pins and source maps on, on Node.js 22 and arm64, with logs kept a month.
 * No function reserves concurrency: a new account's limit may be 10, all of it unreserved. Its role starts empty but for writing to
 * its own log group (not AWSLambdaBasicExecutionRole, which may write to any log group in the
 * account); each construct grants the rest.
 */
export function handlerFunction(scope: Construct, id: string, handlerFile: string, props: Omit<NodejsFunctionProps, "entry"> = {}): NodejsFunction {
  // A function's own bundling options (command hooks) add to the defaults rather than replace them.
  const { bundling, ...rest } = props;
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH });
  const role = new Role(scope, `${id}ServiceRole`, { assumedBy: new ServicePrincipal("lambda.amazonaws.com"), description: `Runs ${handlerFile}` });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, id, {
    entry: `${root}functions/handlers/${handlerFile}`,
    projectRoot: root,
    depsLockFilePath: `${root}package-lock.json`,
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    memorySize: 512,
    timeout: Duration.seconds(10),
    tracing: Tracing.ACTIVE,
    // Its own log group with a retention, rather than logRetention's extra custom-resource Lambda.
    logGroup,
    role,
    bundling: {
      forceDockerBundling: false,
      minify: true,
      sourceMap: true,
      // The SDK the lockfile pins goes into the bundle (CDK leaves @aws-sdk/* to the runtime's own copy by default).
      bundleAwsSDK: true,
      externalModules: [],
      target: "node22",
      ...(scope.node.tryGetContext(LOCAL_SYNTH_CONTEXT) === true && { assetHash: `local-synth-${id}` }),
      ...bundling,
    },
    ...rest,
    environment: {
      // Powertools' logger names the service; the metrics helper writes to the stack's namespace.
      POWERTOOLS_SERVICE_NAME: handlerFile.replace(/\.ts$/, ""),
      // Stack traces through the bundle's .map back to functions/*.ts.
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
      METRICS_NAMESPACE: metricsNamespace(scope),
      ...props.environment,
    },
  });
  Validations.of(fn).acknowledge({
    id: "AwsSolutions-L1",
    reason: "Node.js 22 is pinned on purpose: the handlers are bundled for it (esbuild target node22) and the test suite runs against it; a runtime upgrade is a change of its own, with its own test run.",
  });
  return fn;
}

/** The nightly job's defaults (NightlyScoringProps documents each as its @default). */
export const NIGHTLY_DEFAULTS = {
  timeZone: "Etc/UTC",
  hour: 3,
  minute: 0,
  scanSegments: 16,
  maxConcurrency: 8,
} as const;

/** The stack's defaults (ClvStackProps documents each as its @default). */
export const STACK_DEFAULTS = {
  apiKeyHashes: [] as readonly string[],
  storeName: "The shop",
  senderIdentity: "shop.example",
  storeCurrency: DEFAULT_STORE_CURRENCY,
  earliestOrderDate: DEFAULT_EARLIEST_ORDER_DATE,
  segments: [] as readonly string[],
} as const;

/** The alarms' defaults (OperationsProps documents each as its @default). */
export const OPERATIONS_DEFAULTS = { bounceRatePercent: 5, bounceRateMinimumSent: 20 } as const;

/** A segment export's defaults (SegmentExportProps documents each as its @default). */
export const SEGMENT_EXPORT_DEFAULTS = { urlExpiry: Duration.hours(1), retention: Duration.days(7) } as const;

/** The contact-change stream's defaults (ContactChangesProps documents each as its @default). */
export const CONTACT_CHANGES_DEFAULTS = { maxBatchingWindow: Duration.seconds(1), timeout: Duration.seconds(30) } as const;

/** How a Lambda reads the table's stream (both stream consumers): batches, retries, then the dead-letter queue. */
export const STREAM_DEFAULTS = { batchSize: 100, retryAttempts: 3, deadLetterRetention: Duration.days(14) } as const;

/**
 * A DynamoDB stream consumer's dead-letter queue and event source, written once for every consumer:
 * batches of STREAM_DEFAULTS.batchSize from the latest record, a failing batch bisected and retried,
 * what still fails sent to an encrypted queue (created in `scope` as `deadLettersId`). The handler
 * reports the records that failed (Powertools batch), so only those are retried.
 */
export function streamConsumer(
  scope: Construct,
  deadLettersId: string,
  fn: IFunction,
  table: ITableV2,
  options: { readonly filters: Record<string, unknown>[]; readonly maxBatchingWindow?: Duration; readonly what: string },
): Queue {
  const deadLetters = new Queue(scope, deadLettersId, { retentionPeriod: STREAM_DEFAULTS.deadLetterRetention, encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
  Validations.of(deadLetters).acknowledge({ id: "AwsSolutions-SQS3", reason: `It is a dead-letter queue itself: the ${options.what}'s failure destination.` });
  fn.addEventSource(
    new DynamoEventSource(table, {
      startingPosition: StartingPosition.LATEST,
      batchSize: STREAM_DEFAULTS.batchSize,
      ...(options.maxBatchingWindow && { maxBatchingWindow: options.maxBatchingWindow }),
      bisectBatchOnError: true,
      retryAttempts: STREAM_DEFAULTS.retryAttempts,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(deadLetters),
      filters: options.filters,
    }),
  );
  return deadLetters;
}

/** Props without the keys set to undefined, so that spreading them over defaults keeps the defaults. */
export function withoutUndefined<T extends object>(props: T): Partial<T> {
  return Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined)) as Partial<T>;
}
