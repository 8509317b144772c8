import { CfnOutput, Duration, Stack } from "aws-cdk-lib";
import type { IHttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SearchExpression,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { FilterPattern, MetricFilter, type ILogGroup } from "aws-cdk-lib/aws-logs";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { IStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { METRIC_UNITS, type MetricName } from "../functions/adapters/logging/metrics.js";
import { OPERATIONS_DEFAULTS, metricsNamespace, withoutUndefined } from "./lambda-function.js";

export interface OperationsProps {
  /**
   * Who gets the alarms by e-mail (context `alarmEmail`); the SNS topic takes other subscribers too.
   * @default none: the topic has no subscriber
   */
  readonly alarmEmail?: string;
  /** The nightly state machine, whose failed runs ring. */
  readonly nightly: IStateMachine;
  /** Every dead-letter queue of the stack, by what it catches ("contact changes"). */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /** The HTTP API, whose 5xx answers ring. */
  readonly api: IHttpApi;
  /** The Lambdas to graph and count logged errors of, with their log groups. */
  readonly functions: readonly { readonly name: string; readonly fn: IFunction; readonly logGroup: ILogGroup }[];
  /**
   * Hard bounces per 100 e-mails sent (6-hour window) that raise the alarm; SES reviews an account from 5 %.
   * @default 5 (OPERATIONS_DEFAULTS, lib/lambda-function.ts)
   */
  readonly bounceRatePercent?: number;
  /**
   * Fewer e-mails than this in the window say nothing about a rate.
   * @default 20
   */
  readonly bounceRateMinimumSent?: number;
}

/** The alarms' names after the stack's, so an e-mail says which store's system rang. */
export const ALARMS = {
  nightlyRunFailed: "nightly-run-failed",
  couponStockLow: "coupon-stock-low",
  bounceRateHigh: "bounce-rate-high",
  sesReputationBounceRate: "ses-account-bounce-rate",
  apiServerErrors: "api-server-errors",
  deadLetters: (queue: string) => `dead-letters-${queue.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`,
} as const;

/**
 * What an operator watches (DESIGN.md has none of it; issue 7): the alarms, an encrypted SNS topic
 * they ring, the dashboard, and a metric filter per Lambda counting the ERROR lines of its
 * structured log. The figures themselves come from the handlers as EMF lines
 * (functions/adapters/logging/metrics.ts) in the stack's namespace; AWS's own (Step Functions,
 * SQS, API Gateway, Lambda, SES) are used as they are.
 */
export class Operations extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.namespace = metricsNamespace(this);

    // A customer-managed key: CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key.
    const key = new Key(this, "AlarmTopicKey", { enableKeyRotation: true, description: `Encrypts ${stackName}'s alarm notifications` });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } },
      }),
    );
    this.topic = new Topic(this, "Alarms", { displayName: `${stackName} alarms`, masterKey: key, enforceSSL: true });
    // enforceSSL writes a topic policy, and a topic policy replaces SNS's default one: without this
    // Allow, CloudWatch may not publish and every alarm fails silently.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: "CloudWatchAlarmsOfThisAccountPublish",
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const alarm = (name: string, metric: IMetric, options: { threshold: number; description: string; missing?: TreatMissingData }) => {
      const made = new Alarm(this, `Alarm-${name}`, {
        alarmName: `${stackName}-${name}`,
        alarmDescription: options.description,
        metric,
        threshold: options.threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
      });
      made.addAlarmAction(new SnsAction(this.topic));
      this.alarms.push(made);
      return made;
    };

    // ---- the night ----
    const hourly = { period: Duration.hours(1), statistic: "Sum" };
    const nightFailures = new MathExpression({
      expression: "failed + timedOut + aborted",
      usingMetrics: { failed: props.nightly.metricFailed(hourly), timedOut: props.nightly.metricTimedOut(hourly), aborted: props.nightly.metricAborted(hourly) },
      label: "Nightly runs failed, timed out or aborted",
      period: Duration.hours(1),
    });
    alarm(ALARMS.nightlyRunFailed, nightFailures, {
      threshold: 1,
      description:
        "The nightly scoring run failed. The last completed run stays the current model. Open the failed execution in Step Functions, fix the cause, and start a new execution with the same input ({\"scheduledTime\":…}): it re-runs that night, writing only what it had not.",
    });

    // ---- dead letters: something failed every retry and waits there ----
    for (const [what, queue] of Object.entries(props.deadLetterQueues)) {
      alarm(ALARMS.deadLetters(what), queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: "Maximum" }), {
        threshold: 1,
        description: `A message is in the ${what} dead-letter queue: an event failed all its retries. Read it (the Lambda's log has the error at that time), fix the cause, then re-drive or delete it. Messages are kept 14 days.`,
      });
    }

    // ---- coupons and e-mail ----
    alarm(ALARMS.couponStockLow, this.metric("CouponStockLow", { period: Duration.hours(1), statistic: "Sum" }), {
      threshold: 1,
      description: "A coupon set is at or below its low-stock threshold (or empty) while the workflows hand out codes. Import more codes (POST /coupon-sets/{id}/codes) or end the workflow; the dashboard shows each set's codes left.",
    });
    const window = Duration.hours(6);
    const { bounceRatePercent, bounceRateMinimumSent: minimumSent } = { ...OPERATIONS_DEFAULTS, ...withoutUndefined(props) };
    alarm(
      ALARMS.bounceRateHigh,
      new MathExpression({
        expression: `IF(FILL(sent, 0) >= ${minimumSent}, 100 * FILL(bounces, 0) / FILL(sent, 0), 0)`,
        usingMetrics: { sent: this.metric("EmailsSent", { period: window, statistic: "Sum" }), bounces: this.metric("Bounces", { period: window, statistic: "Sum" }) },
        label: "Hard bounces per 100 e-mails sent",
        period: window,
      }),
      {
        threshold: bounceRatePercent,
        description: `More than ${bounceRatePercent} % of the workflow e-mails bounced hard in 6 hours (at least ${minimumSent} sent). SES reviews an account from 5 % and may pause it from 10 %. Check the contacts' addresses and where they came from; bounced contacts are already unsubscribed.`,
      },
    );
    alarm(ALARMS.sesReputationBounceRate, new Metric({ namespace: "AWS/SES", metricName: "Reputation.BounceRate", period: Duration.hours(1), statistic: "Maximum" }), {
      threshold: 0.05,
      description: "The SES account's own bounce rate (all mail it sends, not only this stack's) is at 5 %, where SES reviews the account.",
    });

    // ---- the API ----
    alarm(ALARMS.apiServerErrors, props.api.metricServerError({ period: Duration.minutes(5), statistic: "Sum" }), {
      threshold: 10,
      description: "The store's HTTP API answered 5xx ten times in 5 minutes: the platform's requests are failing (it should retry them). See the API handler's log.",
    });

    // ---- ERROR lines of each Lambda's structured log ----
    for (const { name, logGroup } of props.functions) {
      new MetricFilter(this, `ErrorsLogged-${name}`, {
        logGroup,
        metricNamespace: this.namespace,
        metricName: "ErrorsLogged",
        filterPattern: FilterPattern.stringValue("$.level", "=", "ERROR"),
        metricValue: "1",
        dimensions: { Function: "$.service" },
      });
    }

    this.dashboard = this.buildDashboard(props, nightFailures);

    // What the README's deploy steps need: where to look, what to subscribe to, what to start.
    const region = Stack.of(this).region;
    new CfnOutput(this, "DashboardUrl", { value: `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}` });
    new CfnOutput(this, "AlarmTopicArn", { value: this.topic.topicArn });
    new CfnOutput(this, "NightlyStateMachineArn", { value: props.nightly.stateMachineArn });
  }

  /** One of the stack's own metrics (functions/adapters/logging/metrics.ts). */
  metric(name: MetricName, options: { period?: Duration; statistic?: string; dimensions?: Record<string, string>; label?: string } = {}): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName: name,
      period: options.period ?? Duration.days(1),
      statistic: options.statistic ?? "Sum",
      ...(options.dimensions && { dimensionsMap: options.dimensions }),
      ...(options.label && { label: options.label }),
    });
  }

  /** A metric per value of a dimension (a segment, a coupon set), whichever exist. */
  private perDimension(name: MetricName | "ErrorsLogged", dimension: string, statistic: string, period: Duration): SearchExpression {
    return new SearchExpression({
      expression: `SEARCH('{${this.namespace},${dimension}} MetricName="${name}"', '${statistic}', ${period.toSeconds()})`,
      label: "",
      period,
    });
  }

  private buildDashboard(props: OperationsProps, nightFailures: IMetric): Dashboard {
    const day = Duration.days(1);
    const width = 8;
    const dashboard = new Dashboard(this, "Dashboard", { dashboardName: Stack.of(this).stackName, defaultInterval: Duration.days(14) });
    dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${Stack.of(this).stackName}\nNightly scores, segments, reactivation e-mail and coupons. The system's own metrics are in the namespace \`${this.namespace}\`: ${Object.keys(METRIC_UNITS).join(", ")}.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new AlarmStatusWidget({ title: "Alarms", alarms: this.alarms, width: 24, height: 3 }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: "Nightly runs",
        left: [props.nightly.metricSucceeded({ period: day, statistic: "Sum", label: "succeeded" }), nightFailures],
        width,
      }),
      new GraphWidget({
        title: "Contacts scored and scores written",
        left: [this.metric("ContactsScored", { label: "contacts scored (night)" }), this.metric("ScoresWritten", { label: "scores written (changed only)" }), this.metric("ContactsRescored", { label: "rescored between nights" })],
        width,
      }),
      new GraphWidget({
        title: "Model: log-likelihood and holdout error",
        left: [this.metric("ModelLogLikelihood", { statistic: "Average", label: "log-likelihood" })],
        right: [
          this.metric("HoldoutMeanSquaredError", { statistic: "Average", label: "holdout MSE per contact (what selection ranks by)" }),
          this.metric("HoldoutMeanAbsoluteError", { statistic: "Average", label: "holdout MAE per contact" }),
        ],
        width,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({ title: "Segment sizes", left: [this.perDimension("SegmentSize", "SegmentId", "Maximum", day)], width }),
      new GraphWidget({
        title: "E-mails sent, bounces, complaints",
        left: [this.metric("EmailsSent", { label: "sent" }), this.metric("WorkflowsEnrolled", { label: "enrolled" })],
        right: [this.metric("Bounces", { label: "hard bounces" }), this.metric("Complaints", { label: "complaints" })],
        width,
      }),
      new GraphWidget({ title: "Coupons left per set", left: [this.perDimension("CouponsLeft", "CouponSetId", "Minimum", Duration.hours(1))], width }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: "Dead-letter queues (messages waiting)",
        left: Object.entries(props.deadLetterQueues).map(([what, queue]) => queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: "Maximum", label: what })),
        width,
      }),
      new GraphWidget({
        title: "HTTP API",
        left: [props.api.metricCount({ period: Duration.minutes(5), statistic: "Sum", label: "requests" })],
        right: [props.api.metricClientError({ period: Duration.minutes(5), statistic: "Sum", label: "4xx (incl. 429 throttled)" }), props.api.metricServerError({ period: Duration.minutes(5), statistic: "Sum", label: "5xx" })],
        width,
      }),
      new GraphWidget({
        title: "Lambda errors and ERROR log lines",
        left: props.functions.map(({ name, fn }) => fn.metricErrors({ period: Duration.hours(1), statistic: "Sum", label: name })),
        right: [this.perDimension("ErrorsLogged", "Function", "Sum", Duration.hours(1))],
        width,
      }),
    );
    dashboard.addWidgets(
      new SingleValueWidget({
        title: "SES account reputation",
        metrics: [
          new Metric({ namespace: "AWS/SES", metricName: "Reputation.BounceRate", period: Duration.hours(1), statistic: "Maximum", label: "bounce rate" }),
          new Metric({ namespace: "AWS/SES", metricName: "Reputation.ComplaintRate", period: Duration.hours(1), statistic: "Maximum", label: "complaint rate" }),
        ],
        width: 24,
      }),
    );
    return dashboard;
  }
}
