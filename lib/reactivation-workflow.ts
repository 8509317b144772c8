import { Duration, Stack, Validations } from "aws-cdk-lib";
import type { TableV2 } from "aws-cdk-lib/aws-dynamodb";
import { FilterCriteria, FilterRule, type IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Queue } from "aws-cdk-lib/aws-sqs";
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
  type IChainable,
  type TaskStateBase,
} from "aws-cdk-lib/aws-stepfunctions";
import { DynamoAttributeValue, DynamoGetItem, LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import { KeyPrefix, segmentMemberKey } from "../functions/domain/store/table-keys.js";
import { emailTemplate } from "../functions/adapters/files/email-files.js";
import { windowDays, type WorkflowDefinition } from "../functions/domain/workflows/workflow-definition.js";
import type { ICommandHooks } from "aws-cdk-lib/aws-lambda-nodejs";
import type { EmailSending } from "./email-sending.js";
import { grantSecretValue } from "./ingestion-api.js";
import { handlerFunction, streamConsumer } from "./lambda-function.js";
import { workflowsInBundle } from "./workflows-in-bundle.js";
import { STATE_MACHINE_LOG_LEVEL_REASON, TRANSIENT_ERRORS } from "./nightly-scoring.js";
import { WORKFLOW_STATES } from "./state-names.js";

export { WORKFLOW_STATES };

/** Copies emails/ into the bundle (functions/adapters/files/email-files.ts reads $LAMBDA_TASK_ROOT/emails). */
const EMAILS_IN_BUNDLE: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir, outputDir) => [`cp -R "${inputDir}/emails" "${outputDir}/emails"`],
};

/** SES answered "try again": a retry goes on past a stale send claim (15 minutes), about 42 minutes in all. */
const RETRYABLE_SEND = ["RetryableSendError"];

export interface ReactivationWorkflowsProps {
  /** The store's table: enrolments, coupons, contacts, the send log. */
  readonly table: TableV2;
  /** Where the mail goes out (its configuration set and the rights to send). */
  readonly email: EmailSending;
  /** The workflows, one state machine each. */
  readonly workflows: readonly WorkflowDefinition[];
  /** The store's e-mail settings (EmailSettings): sender, store name and URL, time zone. */
  readonly sender: ReactivationSender;
  /** The API's one-click unsubscribe URL and the secret that signs its tokens. */
  readonly unsubscribeUrl: string;
  readonly unsubscribeSecret: ISecret;
}

/** Who the mail is from and what it says about the store. */
export interface ReactivationSender {
  readonly from: string;
  readonly storeName: string;
  readonly storeUrl: string;
  /**
   * A link that applies the coupon at the store, with {code} where the code goes.
   * @default none: the coupon's link goes to `storeUrl`
   */
  readonly couponUrl?: string;
  /**
   * The time zone the mail's dates (the coupon's expiry) are written in.
   * @default "UTC"
   */
  readonly timeZone?: string;
}

/**
 * The reactivation workflows (docs/design.md, flow 5): step Lambdas shared by every workflow, one Standard
 * state machine per workflow definition, and the enrolment Lambda that starts one execution per
 * contact — after the night (every member) and on "entered segment" (the table's stream, filtered to
 * membership items turned active).
 */
export class ReactivationWorkflows extends Construct {
  readonly stateMachines = new Map<string, StateMachine>();
  readonly enrolFunction: IFunction;
  readonly steps: { assignCoupon: IFunction; sendEmail: IFunction; checkPurchases: IFunction; recordOutcome: IFunction; holdOut: IFunction };
  readonly enrolDeadLetters: Queue;
  private readonly table: TableV2;

  constructor(scope: Construct, id: string, props: ReactivationWorkflowsProps) {
    super(scope, id);
    const { table } = props;
    this.table = table;
    const environment = { TABLE_NAME: table.tableName };

    const assignCoupon = handlerFunction(this, "AssignCoupon", "workflow-assign-coupon.ts", { environment });
    // assignCoupon (the set and the contact's code read together, a code claimed, returned or recorded) and the enrolment's outcome.
    table.grant(assignCoupon, "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem");
    const sendEmail = handlerFunction(this, "SendEmail", "workflow-send-email.ts", {
      // The e-mails (emails/<name>/*.liquid) travel in the bundle, next to index.js, where the handler reads them.
      bundling: { commandHooks: EMAILS_IN_BUNDLE },
      timeout: Duration.seconds(30),
      environment: {
        ...props.email.sendingEnvironment,
        EMAIL_FROM: props.sender.from,
        STORE_NAME: props.sender.storeName,
        STORE_URL: props.sender.storeUrl,
        ...(props.sender.couponUrl && { COUPON_URL: props.sender.couponUrl }),
        TIME_ZONE: props.sender.timeZone ?? "UTC",
        UNSUBSCRIBE_URL: props.unsubscribeUrl,
        UNSUBSCRIBE_SECRET_ARN: props.unsubscribeSecret.secretArn,
      },
    });
    props.email.grantSend(sendEmail);
    grantSecretValue(props.unsubscribeSecret, sendEmail);
    const checkPurchases = handlerFunction(this, "CheckPurchases", "workflow-check-purchases.ts", { environment });
    table.grant(checkPurchases, "dynamodb:GetItem", "dynamodb:UpdateItem");
    const recordOutcome = handlerFunction(this, "RecordOutcome", "workflow-record-outcome.ts", { environment });
    table.grant(recordOutcome, "dynamodb:UpdateItem");
    const holdOut = handlerFunction(this, "HoldOut", "workflow-hold-out.ts", { environment });
    table.grant(holdOut, "dynamodb:GetItem", "dynamodb:UpdateItem");
    this.steps = { assignCoupon, sendEmail, checkPurchases, recordOutcome, holdOut };

    for (const workflow of props.workflows) {
      // Loads and checks the e-mails now, so a template error stops `cdk synth` rather than a send on AWS.
      for (const name of [workflow.couponEmail, workflow.reminderEmail]) emailTemplate(name);
      this.stateMachines.set(workflow.id, this.workflowStateMachine(workflow));
    }

    const enrol = handlerFunction(this, "Enrol", "workflow-enrol.ts", {
      timeout: Duration.minutes(15),
      environment: {
        ...environment,
        // Each workflow's state machine by workflow id; the definitions travel in the bundle (the 4 KB limit of an environment).
        WORKFLOW_STATE_MACHINES: Stack.of(this).toJsonString(Object.fromEntries(props.workflows.map((definition) => [definition.id, this.stateMachines.get(definition.id)!.stateMachineArn]))),
      },
      bundling: { commandHooks: workflowsInBundle(props.workflows) },
    });
    // A page of members (Query), their enrolments 100 at a time (BatchGetItem), each new one written (PutItem).
    table.grant(enrol, "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:PutItem");
    for (const machine of this.stateMachines.values()) machine.grantStartExecution(enrol);
    // "Entered segment": a membership item whose new image is active.
    this.enrolDeadLetters = streamConsumer(this, "EnrolDeadLetters", enrol, table, {
      what: "entered-segment stream",
      filters: [
        FilterCriteria.filter({
          dynamodb: { Keys: { PK: { S: FilterRule.beginsWith(KeyPrefix.segment) }, SK: { S: FilterRule.beginsWith(KeyPrefix.contact) } }, NewImage: { active: { BOOL: FilterRule.isEqual(true) } } },
        }),
      ],
    });
    this.enrolFunction = enrol;
  }

  /**
   * is in segment (Choice) → held out (Choice) → assign coupon → send the coupon e-mail → Wait (native) → check purchases
   * → still in segment (Choice) → purchased in the window (Choice) → if not, send the reminder. Every
   * task retries what is transient and otherwise records the failure before failing. The held-out
   * path (the control group) checks the contact as the send step would, waits as long, checks
   * purchases the same way and records it; it has no coupon and no e-mail state at all.
   */
  private workflowStateMachine(workflow: WorkflowDefinition): StateMachine {
    const scope = new Construct(this, `Workflow-${workflow.id}`);
    const { assignCoupon, sendEmail, checkPurchases, recordOutcome, holdOut } = this.steps;
    const contact = { workflowId: workflow.id, contactId: JsonPath.stringAt("$.contactId") };

    const recordFailure = new LambdaInvoke(scope, "RecordFailure", {
      stateName: WORKFLOW_STATES.recordFailure,
      lambdaFunction: recordOutcome,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({ ...contact, outcome: "failed", error: JsonPath.stringAt("$.error.Cause") }),
      taskTimeout: Timeout.duration(Duration.minutes(2)),
      resultPath: JsonPath.DISCARD,
    }).next(new Fail(scope, "Failed", { stateName: WORKFLOW_STATES.failed, causePath: "$.error.Cause", errorPath: "$.error.Error" }));
    const guarded = <T extends TaskStateBase>(task: T, extraRetry: string[] = []): T => {
      task.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 5 });
      if (extraRetry.length > 0) task.addRetry({ errors: extraRetry, interval: Duration.seconds(20), backoffRate: 2, maxAttempts: 7 });
      task.addCatch(recordFailure, { resultPath: "$.error" });
      return task;
    };
    const lambda = (id: string, stateName: string, fn: IFunction, payload: Record<string, unknown>, resultPath: string) =>
      guarded(
        // A Task's timeout is 60 seconds unless set (the States language's default).
        new LambdaInvoke(scope, id, { stateName, lambdaFunction: fn, payloadResponseOnly: true, payload: TaskInput.fromObject(payload), resultPath, taskTimeout: Timeout.duration(Duration.minutes(2)) }),
        fn === sendEmail ? RETRYABLE_SEND : [],
      );
    const memberKey = segmentMemberKey(workflow.segmentId, "{}");
    const membership = (id: string, stateName: string) =>
      guarded(
        new DynamoGetItem(scope, id, {
          stateName,
          table: this.table,
          // The member's key with the contact id left as a States.Format placeholder.
          key: { PK: DynamoAttributeValue.fromString(memberKey.PK), SK: DynamoAttributeValue.fromString(JsonPath.format(memberKey.SK, JsonPath.stringAt("$.contactId"))) },
          consistentRead: true,
          resultPath: "$.membership",
        }),
      );
    const isMember = Condition.and(Condition.isPresent("$.membership.Item.active"), Condition.booleanEquals("$.membership.Item.active.BOOL", true));
    const done = new Succeed(scope, "Done", { stateName: WORKFLOW_STATES.done });
    const record = (id: string, stateName: string, outcome: string) => lambda(id, stateName, recordOutcome, { ...contact, outcome }, JsonPath.DISCARD).next(done);
    const send = (id: string, stateName: string, step: "coupon" | "reminder") =>
      lambda(
        id,
        stateName,
        sendEmail,
        {
          ...contact,
          step,
          templateId: step === "coupon" ? workflow.couponEmail : workflow.reminderEmail,
          executionName: JsonPath.executionName,
          coupon: { code: JsonPath.stringAt("$.coupon.code"), expiresAt: JsonPath.stringAt("$.coupon.expiresAt") },
        },
        step === "coupon" ? "$.couponEmail" : "$.reminder",
      );

    const wait = (id: string, stateName: string) => new Wait(scope, id, { stateName, time: WaitTime.duration(Duration.seconds(workflow.waitSeconds)) });
    const window = windowDays(workflow);
    const heldOutPath = lambda("CheckHeldOut", WORKFLOW_STATES.checkHeldOut, holdOut, contact, "$.heldOutCheck").next(
      new Choice(scope, "HeldOutMailable", { stateName: WORKFLOW_STATES.heldOutMailable })
        .when(
          Condition.booleanEquals("$.heldOutCheck.mailable", true),
          wait("WaitHeldOut", WORKFLOW_STATES.waitHeldOut)
            .next(lambda("CheckPurchasesHeldOut", WORKFLOW_STATES.checkPurchasesHeldOut, checkPurchases, { ...contact, windowDays: window, group: "held-out" }, "$.purchases"))
            .next(record("RecordHeldOut", WORKFLOW_STATES.recordHeldOut, "held-out")),
        )
        // The check recorded why this contact would not have been mailed either.
        .otherwise(done),
    );
    const afterWait: IChainable = lambda("CheckPurchases", WORKFLOW_STATES.checkPurchases, checkPurchases, { ...contact, windowDays: window, group: "mailed" }, "$.purchases")
      .next(membership("RecheckMembership", WORKFLOW_STATES.recheckMembership))
      .next(
        new Choice(scope, "StillInSegment", { stateName: WORKFLOW_STATES.stillInSegment })
          .when(
            isMember,
            new Choice(scope, "Purchased", { stateName: WORKFLOW_STATES.purchased })
              .when(Condition.booleanEquals("$.purchases.purchased", true), record("RecordPurchased", WORKFLOW_STATES.recordPurchased, "purchased"))
              .otherwise(send("SendReminder", WORKFLOW_STATES.sendReminder, "reminder").next(done)),
          )
          .otherwise(record("RecordLeftSegment", WORKFLOW_STATES.leftSegment, "left-segment")),
      );
    const mailedPath = lambda("AssignCoupon", WORKFLOW_STATES.assignCoupon, assignCoupon, { ...contact, couponSetId: workflow.couponSetId }, "$.coupon").next(
            new Choice(scope, "HasCoupon", { stateName: WORKFLOW_STATES.hasCoupon })
              .when(
                Condition.stringEquals("$.coupon.status", "assigned"),
                send("SendCoupon", WORKFLOW_STATES.sendCoupon, "coupon").next(
                  new Choice(scope, "CouponSent", { stateName: WORKFLOW_STATES.couponSent })
                    .when(
                      Condition.booleanEquals("$.couponEmail.sent", true),
                      wait("Wait", WORKFLOW_STATES.wait).next(afterWait),
                    )
                    // The send step recorded why nothing went (unsubscribed, no address).
                    .otherwise(done),
                ),
              )
              // The assign step recorded the outcome (out of coupons, expired set).
              .otherwise(done),
          );
    const definition = membership("CheckMembership", WORKFLOW_STATES.checkMembership).next(
      new Choice(scope, "IsInSegment", { stateName: WORKFLOW_STATES.isInSegment })
        .when(
          isMember,
          new Choice(scope, "IsHeldOut", { stateName: WORKFLOW_STATES.isHeldOut })
            // Executions started before the control group existed carry no heldOut: they are mailed.
            .when(Condition.and(Condition.isPresent("$.heldOut"), Condition.booleanEquals("$.heldOut", true)), heldOutPath)
            .otherwise(mailedPath),
        )
        .otherwise(record("RecordNotInSegment", WORKFLOW_STATES.notInSegment, "not-in-segment")),
    );
    const machine = new StateMachine(scope, "StateMachine", {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.seconds(workflow.waitSeconds + 2 * 86_400),
      tracingEnabled: true,
      logs: { destination: new LogGroup(scope, "Logs", { retention: RetentionDays.ONE_MONTH }), level: LogLevel.ERROR },
    });
    Validations.of(machine).acknowledge({ id: "AwsSolutions-SF1", reason: STATE_MACHINE_LOG_LEVEL_REASON });
    return machine;
  }
}
