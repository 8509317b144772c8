import { Duration, Stack } from "aws-cdk-lib";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { EventBus, Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { Grant, type IGrantable } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { ConfigurationSet, EmailSendingEvent, EventDestination, SuppressionReasons } from "aws-cdk-lib/aws-ses";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { handlerFunction } from "./lambda-function.js";

export interface EmailSendingProps {
  /** The store's table: the feedback Lambda unsubscribes bounced and complaining contacts in it. */
  readonly table: ITableV2;
  /**
   * The verified SES identity the mail goes out as: a domain ("shop.example") or an address. SES
   * authorizes a send against it, so sending rights are scoped to it.
   */
  readonly identity: string;
  /**
   * A fixed name for the configuration set.
   * @default a name CloudFormation picks
   */
  readonly configurationSetName?: string;
}

/** SES's names for the events this construct acts on, as EventBridge's detail-type. */
export const SES_FEEDBACK_DETAIL_TYPES = ["Email Bounced", "Email Complaint Received"];

/**
 * Sending e-mail on SES v2 (docs/design.md, flow 5): a configuration set whose hard bounces and complaints
 * go (EventBridge, default bus) to a Lambda that unsubscribes the contact and records the event, and
 * the rights a sending Lambda needs. The configuration set also puts such addresses on the account's
 * suppression list, so SES itself refuses them even if the store's platform re-subscribes the contact.
 */
export class EmailSending extends Construct {
  readonly configurationSet: ConfigurationSet;
  readonly feedbackFunction: IFunction;
  /** Events the feedback Lambda could not handle after its retries, kept 14 days. */
  readonly feedbackDeadLetters: Queue;
  /** arn:…:identity/<identity>. */
  readonly identityArn: string;
  readonly configurationSetArn: string;
  /** arn:…:identity/*: the sandbox checks the recipients' identities as well as the sender's. */
  readonly anyIdentityArn: string;
  /** What ses:FromAddress may be: the identity's address, or any address at its domain. */
  readonly fromAddresses: string[];
  private readonly table: ITableV2;

  constructor(scope: Construct, id: string, props: EmailSendingProps) {
    super(scope, id);
    this.table = props.table;
    this.configurationSet = new ConfigurationSet(this, "ConfigurationSet", {
      ...(props.configurationSetName !== undefined && { configurationSetName: props.configurationSetName }),
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    const stack = Stack.of(this);
    const configurationSetName = this.configurationSet.configurationSetName;
    this.identityArn = stack.formatArn({ service: "ses", resource: "identity", resourceName: props.identity });
    this.anyIdentityArn = stack.formatArn({ service: "ses", resource: "identity", resourceName: "*" });
    this.fromAddresses = props.identity.includes("@") ? [props.identity] : [`*@${props.identity}`];
    this.configurationSetArn = stack.formatArn({ service: "ses", resource: "configuration-set", resourceName: configurationSetName });

    // SES publishes to EventBridge's default bus only.
    const defaultBus = EventBus.fromEventBusName(this, "DefaultBus", "default");
    this.configurationSet.addEventDestination("Feedback", {
      destination: EventDestination.eventBus(defaultBus),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });

    this.feedbackDeadLetters = new Queue(this, "FeedbackDeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const feedback = handlerFunction(this, "Feedback", "ses-events.ts", {
      environment: { TABLE_NAME: props.table.tableName },
      timeout: Duration.seconds(30),
      // A failed invocation (a throttled table) is retried by Lambda, then kept here.
      deadLetterQueue: this.feedbackDeadLetters,
    });
    props.table.grant(feedback, "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem");
    this.feedbackFunction = feedback;

    new Rule(this, "FeedbackRule", {
      description: "SES hard bounces and complaints of the workflow e-mails",
      eventPattern: {
        source: ["aws.ses"],
        detailType: SES_FEEDBACK_DETAIL_TYPES,
        // Only this configuration set's mail: others in the account are not the store's contacts.
        detail: { mail: { tags: { "ses:configuration-set": [configurationSetName] } } },
      },
      targets: [new LambdaFunction(feedback, { deadLetterQueue: this.feedbackDeadLetters, retryAttempts: 8, maxEventAge: Duration.hours(24) })],
    });
  }

  /**
   * What a sending Lambda needs: ses:SendEmail from the identity's addresses through this
   * configuration set (and no other), to any recipient in production and to verified ones in the sandbox, and the table rights of sendWorkflowEmail (read the contact; claim, complete and
   * release its send record). Pair it with `sendingEnvironment`.
   */
  grantSend(grantee: IGrantable): Grant {
    // SES authorizes a send against the sender's identity and the configuration set and, in the
    // sandbox, against each recipient's verified identity too (aws-sdk-js #3641): so every identity of
    // the account, but only for mail from the store's own address(es).
    const ses = Grant.addToPrincipal({
      grantee,
      actions: ["ses:SendEmail"],
      resourceArns: [this.anyIdentityArn, this.configurationSetArn],
      conditions: { StringLike: { "ses:FromAddress": this.fromAddresses } },
    });
    return ses.combine(this.table.grant(grantee, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"));
  }

  /** Environment variables for a sending Lambda. */
  get sendingEnvironment(): Record<string, string> {
    return { TABLE_NAME: this.table.tableName, SES_CONFIGURATION_SET: this.configurationSet.configurationSetName };
  }
}
