import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { serviceLogger } from "./logger.js";
import { redacted } from "./redact.js";

/**
 * The system's metrics and their units: the handlers put them, lib/operations.ts graphs them and sets
 * alarms on them, so both read the names from here.
 */
export const METRIC_UNITS = {
  /** Contacts a scan segment of the night scored (each contact once per night). */
  ContactsScored: MetricUnit.Count,
  /** Score items the night wrote: only scores that changed. */
  ScoresWritten: MetricUnit.Count,
  /** Contacts rescored from the table's stream between nights. */
  ContactsRescored: MetricUnit.Count,
  /** Stream records the contact-change Lambda reported as failed (retried, then dead-lettered). */
  StreamRecordsFailed: MetricUnit.Count,
  /** 1 when the store is eligible for predictions tonight, 0 when not. */
  Eligible: MetricUnit.NoUnit,
  /** The chosen purchase model's log-likelihood, refitted on all data. */
  ModelLogLikelihood: MetricUnit.NoUnit,
  /** The chosen model's mean squared error per contact on the holdout period: what model selection ranks by. */
  HoldoutMeanSquaredError: MetricUnit.NoUnit,
  /** The chosen model's mean absolute error per contact on the holdout period. */
  HoldoutMeanAbsoluteError: MetricUnit.NoUnit,
  /** Active members of a segment after the night (dimension SegmentId). */
  SegmentSize: MetricUnit.Count,
  /** Contacts enrolled in a workflow. */
  WorkflowsEnrolled: MetricUnit.Count,
  /** Enrolled contacts held out as a workflow's control group, once found mailable (dimension WorkflowId). */
  ContactsHeldOut: MetricUnit.Count,
  /** Contacts whose purchase window ended (dimensions WorkflowId, Group: mailed | held-out); with the two below, conversion and revenue per contact by group. */
  ContactsMeasured: MetricUnit.Count,
  /** Of those, contacts who bought within the window. */
  WindowConversions: MetricUnit.Count,
  /** What they spent within the window, in the store's currency. */
  WindowRevenue: MetricUnit.NoUnit,
  /** Workflow e-mails SES took. */
  EmailsSent: MetricUnit.Count,
  /** Hard bounces SES reported for the workflow e-mails. */
  Bounces: MetricUnit.Count,
  /** Complaints SES reported for the workflow e-mails. */
  Complaints: MetricUnit.Count,
  /** Codes left in a coupon set after an assignment (dimension CouponSetId). */
  CouponsLeft: MetricUnit.Count,
  /** 1 each time a set is at or below its low-stock threshold (or empty) when a code is asked for. */
  CouponStockLow: MetricUnit.Count,
} as const satisfies Record<string, (typeof MetricUnit)[keyof typeof MetricUnit]>;

export type MetricName = keyof typeof METRIC_UNITS;

/** Where the metrics go unless a deployment says otherwise (lib/lambda-function.ts sets METRICS_NAMESPACE per stack). */
export const DEFAULT_METRICS_NAMESPACE = "ClvReactivation";

/** A CloudWatch Embedded Metric Format record: a JSON log line CloudWatch Logs turns into metrics. */
export interface EmfRecord {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [member: string]: unknown;
}

export interface MetricContext {
  /** Dimensions of every value in the record; keep them few and of low cardinality (each combination is a metric). */
  dimensions?: Record<string, string>;
  /** Searchable members of the log line that are not metrics (a model name, a run id); redacted like logs. */
  properties?: Record<string, unknown>;
}

type Sink = (record: EmfRecord) => void;
let testSink: Sink | undefined;

/** Tests: catch the records instead of writing them (undefined puts the default back). */
export function captureMetrics(sink: Sink | undefined): void {
  testSink = sink;
}

const metricsLogger = serviceLogger("metrics");

/**
 * Puts metrics as one EMF line on stdout with Powertools Metrics, which a Lambda's log group turns
 * into CloudWatch metrics with no API call. A Metrics object per call: the local runner runs many
 * steps at once in one process, and one shared buffer would mix their dimensions. Outside a Lambda
 * (tests, the local runner) nothing is written unless a test captures it.
 */
export function putMetrics(values: Partial<Record<MetricName, number>>, context: MetricContext = {}, env: NodeJS.ProcessEnv = process.env, now = Date.now()): void {
  const entries = Object.entries(values).filter((e): e is [MetricName, number] => typeof e[1] === "number" && Number.isFinite(e[1]));
  if (entries.length === 0) return;
  const sink = testSink;
  if (!sink && !env.AWS_LAMBDA_FUNCTION_NAME) return;
  const metrics = new Metrics({ namespace: env.METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE, logger: metricsLogger });
  // No `service` dimension: the alarms and the dashboard (lib/operations.ts) read each metric by
  // exactly these dimensions, or none for a store-wide figure (one empty dimension set).
  metrics.clearDefaultDimensions();
  metrics.addDimensions(context.dimensions ?? {});
  for (const [name, value] of entries) metrics.addMetric(name, METRIC_UNITS[name], value);
  // Metadata keeps its JSON type (a count stays a number), whatever the declared string.
  for (const [key, value] of Object.entries(redacted(context.properties ?? {}))) metrics.addMetadata(key, value as string);
  metrics.setTimestamp(now);
  if (!sink) {
    metrics.publishStoredMetrics();
    return;
  }
  sink(metrics.serializeMetrics() as unknown as EmfRecord);
  metrics.clearMetrics();
}
