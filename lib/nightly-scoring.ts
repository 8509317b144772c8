import { Duration, TimeZone, Validations } from "aws-cdk-lib";
import type { TableV2 } from "aws-cdk-lib/aws-dynamodb";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Schedule, ScheduleExpression, ScheduleTargetInput, ContextAttribute } from "aws-cdk-lib/aws-scheduler";
import { StepFunctionsStartExecution } from "aws-cdk-lib/aws-scheduler-targets";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Choice, Condition, DefinitionBody, DistributedMap, Fail, JsonPath, LogLevel, Pass, Result, StateMachine, StateMachineType, Succeed, TaskInput, Timeout, type TaskStateBase } from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import { NIGHTLY_DEFAULTS, handlerFunction, withoutUndefined } from "./lambda-function.js";
import { NIGHTLY_STATES } from "./state-names.js";

export { NIGHTLY_STATES };

export interface NightlyScoringProps {
  readonly table: TableV2;
  /**
   * IANA time zone the schedule's hour is in, e.g. "Europe/Madrid".
   * @default "Etc/UTC" (NIGHTLY_DEFAULTS, lib/lambda-function.ts)
   */
  readonly timeZone?: string;
  /**
   * Hour of the night the job starts, in that time zone.
   * @default 3
   */
  readonly hour?: number;
  /**
   * Minute of that hour.
   * @default 0
   */
  readonly minute?: number;
  /**
   * Scan segments the contacts are split into, one Map item (and one Lambda) each.
   * @default 16
   */
  readonly scanSegments?: number;
  /**
   * Scan segments scored at once: bounds the table's write rate.
   * @default 8
   */
  readonly maxConcurrency?: number;
  /**
   * Enrols segment members in the workflows once the night is complete.
   * @default none: the night ends after scoring
   */
  readonly enrolFunction?: IFunction;
}

/**
 * What Step Functions reports when a Lambda dies without answering: out of memory, its timeout, a
 * crashed runtime. A scan segment is safe to score again (it writes only what changed), so its Task
 * retries this too: the re-run finishes the segment without scoring any contact twice.
 */
export const LAMBDA_DIED_ERRORS = ["Lambda.Unknown"];

/** Errors that say "try again later": throttling and unprocessed batch items after the SDK's own retries. */
export const TRANSIENT_ERRORS = ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "UnprocessedItemsError", "Lambda.TooManyRequestsException"];

/**
 * The nightly job (docs/design.md, flow 2); a contact that changes between nights is rescored by
 * ContactChanges (lib/contact-changes.ts, flow 3).
 * EventBridge Scheduler (cron in the store's time zone) → Step Functions: plan the night (read every
 * contact's summary, eligibility, fit and select the model, the store's RFM scale and averages) →
 * a Distributed Map over scan segments whose items come from the plan (not an ItemReader), each
 * scoring its contacts, writing only changed scores and memberships → finish (segment analytics, the
 * run marked complete). Every step is safe to repeat, so throttling is retried with backoff and a
 * failed night leaves the last completed run as the current model.
 */
export class NightlyScoring extends Construct {
  readonly stateMachine: StateMachine;
  readonly schedule: Schedule;
  readonly planFunction: IFunction;
  readonly scoreSegmentFunction: IFunction;
  readonly finishFunction: IFunction;
  /** Schedule firings that could not start the state machine after the scheduler's retries. */
  readonly scheduleDeadLetters: Queue;

  constructor(scope: Construct, id: string, props: NightlyScoringProps) {
    super(scope, id);
    const { table } = props;
    const settings = { ...NIGHTLY_DEFAULTS, ...withoutUndefined(props) };
    const environment = { TABLE_NAME: table.tableName, SCAN_SEGMENTS: String(settings.scanSegments) };

    // Folds every scan segment's summaries in parallel and fits on the merged folds: its memory grows
    // with the distinct summaries, not the contacts (npm run bench -- plan: 10 million contacts in
    // well under 1 GB). Query: the last completed plan, whose first purchase day fixes the holdout split.
    const plan = handlerFunction(this, "Plan", "nightly-plan.ts", { environment, memorySize: 1769, timeout: Duration.minutes(15) });
    table.grant(plan, "dynamodb:Scan", "dynamodb:Query", "dynamodb:PutItem");
    const scoreSegment = handlerFunction(this, "ScoreSegment", "nightly-score-segment.ts", { environment, memorySize: 1769, timeout: Duration.minutes(15) });
    table.grant(scoreSegment, "dynamodb:Scan", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchWriteItem");
    const finish = handlerFunction(this, "Finish", "nightly-finish.ts", { environment, timeout: Duration.minutes(1) });
    table.grant(finish, "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem");
    this.planFunction = plan;
    this.scoreSegmentFunction = scoreSegment;
    this.finishFunction = finish;

    const failed = new Fail(this, "Failed", { stateName: NIGHTLY_STATES.failed, causePath: "$.error.Cause", errorPath: "$.error.Error" });
    const guarded = <T extends TaskStateBase>(task: T): T => {
      task.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 5, });
      task.addCatch(failed, { resultPath: "$.error" });
      return task;
    };

    const planTask = guarded(
      new LambdaInvoke(this, "PlanTask", {
        stateName: NIGHTLY_STATES.plan,
        lambdaFunction: plan,
        payloadResponseOnly: true,
        taskTimeout: Timeout.duration(Duration.minutes(15)),
        resultPath: "$.plan",
      }),
    );
    // A Task's timeout is 60 seconds unless set (the States language's default): each as long as its Lambda may run.
    const scoreTask = new LambdaInvoke(this, "ScoreSegmentTask", {
      stateName: NIGHTLY_STATES.scoreSegment,
      lambdaFunction: scoreSegment,
      payloadResponseOnly: true,
      taskTimeout: Timeout.duration(Duration.minutes(15)),
    });
    scoreTask.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 5 });
    scoreTask.addRetry({ errors: LAMBDA_DIED_ERRORS, interval: Duration.seconds(30), backoffRate: 2, maxAttempts: 2 });
    const scoreSegments = new DistributedMap(this, "ScoreSegments", {
      stateName: NIGHTLY_STATES.scoreSegments,
      itemsPath: "$.plan.scanSegments",
      maxConcurrency: settings.maxConcurrency,
      resultPath: "$.results",
    });
    scoreSegments.itemProcessor(scoreTask);
    scoreSegments.addCatch(failed, { resultPath: "$.error" });
    const finishTask = guarded(
      new LambdaInvoke(this, "FinishTask", {
        stateName: NIGHTLY_STATES.finish,
        lambdaFunction: finish,
        payloadResponseOnly: true,
        taskTimeout: Timeout.duration(Duration.minutes(1)),
        payload: TaskInput.fromObject({ runId: JsonPath.stringAt("$.plan.runId"), results: JsonPath.objectAt("$.results") }),
        resultPath: "$.summary",
      }),
    );

    const night = planTask.next(scoreSegments).next(finishTask);
    if (props.enrolFunction) {
      // The members are enrolled a slice at a time (the function reads at most 50,000 and answers
      // where it stopped), so a million members take some 20 invocations, none near 15 minutes.
      const enrol = guarded(
        new LambdaInvoke(this, "EnrolTask", {
          stateName: NIGHTLY_STATES.enrol,
          lambdaFunction: props.enrolFunction,
          payloadResponseOnly: true,
          taskTimeout: Timeout.duration(Duration.minutes(15)),
          // Its own last answer (source and cursor) is its next input.
          inputPath: "$.enrolments",
          resultPath: "$.enrolments",
        }),
      );
      night
        .next(new Pass(this, "StartEnrolling", { stateName: NIGHTLY_STATES.startEnrolling, result: Result.fromObject({ source: "nightly" }), resultPath: "$.enrolments" }))
        .next(enrol)
        .next(
          new Choice(this, "AllEnrolled", { stateName: NIGHTLY_STATES.allEnrolled })
            .when(Condition.booleanEquals("$.enrolments.done", false), enrol)
            .otherwise(new Succeed(this, "NightDone", { stateName: NIGHTLY_STATES.done })),
        );
    }
    this.stateMachine = new StateMachine(this, "StateMachine", {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(night),
      timeout: Duration.hours(6),
      tracingEnabled: true,
      logs: { destination: new LogGroup(this, "StateMachineLogs", { retention: RetentionDays.ONE_MONTH }), level: LogLevel.ERROR },
    });
    Validations.of(this.stateMachine).acknowledge({ id: "AwsSolutions-SF1", reason: STATE_MACHINE_LOG_LEVEL_REASON });

    this.scheduleDeadLetters = new Queue(this, "ScheduleDeadLetters", { retentionPeriod: Duration.days(14), encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
    Validations.of(this.scheduleDeadLetters).acknowledge({ id: "AwsSolutions-SQS3", reason: "It is a dead-letter queue itself: the nightly schedule's." });

    this.schedule = new Schedule(this, "Schedule", {
      description: "Scores every contact and recomputes segments, once a night",
      schedule: ScheduleExpression.cron({ hour: String(settings.hour), minute: String(settings.minute), timeZone: TimeZone.of(settings.timeZone) }),
      target: new StepFunctionsStartExecution(this.stateMachine, {
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: 3,
        deadLetterQueue: this.scheduleDeadLetters,
      }),
    });
  }
}

/** Why the state machines log at ERROR, not ALL (shared with lib/reactivation-workflow.ts). */
export const STATE_MACHINE_LOG_LEVEL_REASON =
  "Logged at ERROR: every failed state and its cause reaches CloudWatch Logs, and Step Functions keeps each execution's full event history for 90 days. ALL would log some 15 events per workflow execution (one per contact) without telling an operator more.";
