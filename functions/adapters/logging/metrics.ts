import { redacted } from "./redact.js";

/**
 * The system's metrics and their units: the handlers put them, lib/operations.ts graphs them and sets
 * alarms on them, so both read the names from here.
 */
export const METRIC_UNITS = {
  /** Contacts a scan segment of the night scored (each contact once per night). */
  ContactsScored: "Count",
  /** Score items the night wrote: only scores that changed. */
  ScoresWritten: "Count",
  /** Contacts rescored from the table's stream between nights. */
  ContactsRescored: "Count",
  /** Stream records the contact-change Lambda reported as failed (retried, then dead-lettered). */
  StreamRecordsFailed: "Count",
  /** 1 when the store is eligible for predictions tonight, 0 when not. */
  Eligible: "None",
  /** The chosen purchase model's log-likelihood, refitted on all data. */
  ModelLogLikelihood: "None",
  /** The chosen model's mean absolute error per contact on the holdout period. */
  HoldoutMeanAbsoluteError: "None",
  /** Active members of a segment after the night (dimension SegmentId). */
  SegmentSize: "Count",
  /** Contacts enrolled in a workflow. */
  WorkflowsEnrolled: "Count",
  /** Enrolled contacts held out as a workflow's control group, once found mailable (dimension WorkflowId). */
  ContactsHeldOut: "Count",
  /** Contacts whose purchase window ended (dimensions WorkflowId, Group: mailed | held-out); with the two below, conversion and revenue per contact by group. */
  ContactsMeasured: "Count",
  /** Of those, contacts who bought within the window. */
  WindowConversions: "Count",
  /** What they spent within the window, in the store's currency. */
  WindowRevenue: "None",
  /** Workflow e-mails SES took. */
  EmailsSent: "Count",
  /** Hard bounces SES reported for the workflow e-mails. */
  Bounces: "Count",
  /** Complaints SES reported for the workflow e-mails. */
  Complaints: "Count",
  /** Codes left in a coupon set after an assignment (dimension CouponSetId). */
  CouponsLeft: "Count",
  /** 1 each time a set is at or below its low-stock threshold (or empty) when a code is asked for. */
  CouponStockLow: "Count",
} as const;

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

/**
 * Puts metrics as one EMF line on stdout, which a Lambda's log group turns into CloudWatch metrics
 * with no API call and no package. Written to process.stdout directly: the Lambda runtime's console
 * prefixes each line with a time and request id, and EMF needs the line to be the JSON alone. Outside
 * a Lambda (tests, the local runner) nothing is written unless a test captures it.
 */
export function putMetrics(values: Partial<Record<MetricName, number>>, context: MetricContext = {}, env: NodeJS.ProcessEnv = process.env, now = Date.now()): void {
  const entries = Object.entries(values).filter((e): e is [MetricName, number] => typeof e[1] === "number" && Number.isFinite(e[1]));
  if (entries.length === 0) return;
  const sink = testSink ?? (env.AWS_LAMBDA_FUNCTION_NAME ? (record: EmfRecord) => void process.stdout.write(`${JSON.stringify(record)}\n`) : undefined);
  if (!sink) return;
  const dimensions = context.dimensions ?? {};
  sink({
    ...redacted(context.properties ?? {}),
    ...dimensions,
    ...Object.fromEntries(entries),
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: env.METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
          // One dimension set: exactly these dimensions, or none ([[]]) for a store-wide figure.
          Dimensions: [Object.keys(dimensions)],
          Metrics: entries.map(([name]) => ({ Name: name, Unit: METRIC_UNITS[name] })),
        },
      ],
    },
  });
}
