import { Aspects, Stack, Validations, type StackProps } from "aws-cdk-lib";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type { Construct } from "constructs";
import { BulkImport } from "./bulk-import.js";
import { IngestionApi } from "./ingestion-api.js";
import { NightlyScoring } from "./nightly-scoring.js";
import { ContactChanges } from "./contact-changes.js";
import { SegmentExport } from "./segment-export.js";
import { EmailSending } from "./email-sending.js";
import { ReactivationWorkflows } from "./reactivation-workflow.js";
import type { WorkflowDefinition } from "../functions/domain/workflows/workflow-definition.js";
import { loadWorkflows } from "../functions/adapters/files/workflow-files.js";
import { StoreTable } from "./store-table.js";
import { WildcardAcknowledgements } from "./nag-acknowledgements.js";
import { Operations } from "./operations.js";
import { STACK_DEFAULTS, withoutUndefined } from "./lambda-function.js";

/** The whole system on the store's AWS account; each capability is one construct composed here. */
export interface ClvStackProps extends StackProps {
  /**
   * SHA-256 hashes of the store's API keys (context `apiKeyHashes`, comma-separated).
   * @default none: every keyed route answers 403 until a hash is deployed
   */
  readonly apiKeyHashes?: readonly string[];
  /**
   * IANA time zone of the store, for the nightly schedule and the dates in its mail (context `timeZone`).
   * @default "Etc/UTC" for the schedule (NIGHTLY_DEFAULTS), "UTC" for the mail
   */
  readonly timeZone?: string;
  /**
   * Hour of the night the scoring starts, in that time zone (context `nightlyHour`).
   * @default 3 (NIGHTLY_DEFAULTS)
   */
  readonly nightlyHour?: number;
  /**
   * The store as its e-mails and unsubscribe pages name it (context `storeName`).
   * @default "The shop" (STACK_DEFAULTS, lib/lambda-function.ts)
   */
  readonly storeName?: string;
  /**
   * Where the mail's links to the store go (context `storeUrl`).
   * @default https:// and the domain of `senderIdentity`
   */
  readonly storeUrl?: string;
  /**
   * A link that applies a coupon at the store, with {code} where the code goes (context `couponUrl`).
   * @default none: the coupon's link goes to `storeUrl`
   */
  readonly couponUrl?: string;
  /**
   * The verified SES identity, a domain or an address (context `senderIdentity`).
   * @default "shop.example" (STACK_DEFAULTS)
   */
  readonly senderIdentity?: string;
  /**
   * The From of the mail (context `senderAddress`).
   * @default `storeName` <hello@ the domain of `senderIdentity`>
   */
  readonly senderAddress?: string;
  /**
   * Where the alarms go by e-mail (context `alarmEmail`); the SNS topic is made either way.
   * @default none: the topic has no subscriber
   */
  readonly alarmEmail?: string;
  /**
   * The reactivation workflows, one state machine each.
   * @default the files of `workflows/`, checked against the e-mail templates and the segments below
   */
  readonly workflows?: readonly WorkflowDefinition[];
  /**
   * The ISO 4217 currency the store counts in (context `storeCurrency`): every figure is kept and shown
   * in it, and an order in another carries its exchange rate.
   * @default "EUR" (DEFAULT_STORE_CURRENCY, STACK_DEFAULTS)
   */
  readonly storeCurrency?: string;
  /**
   * YYYY-MM-DD: orders dated before it are refused (context `earliestOrderDate`).
   * @default "1995-01-01" (DEFAULT_EARLIEST_ORDER_DATE, STACK_DEFAULTS)
   */
  readonly earliestOrderDate?: string;
  /**
   * Segments the workflow files may name beyond the built-in templates: those the store defines in its
   * table (`clv segment create`, POST /segments), context `segments`, comma-separated.
   * @default none
   */
  readonly segments?: readonly string[];
}

export class ClvStack extends Stack {
  readonly store: StoreTable;
  readonly ingestion: IngestionApi;
  readonly bulkImport: BulkImport;
  readonly nightly: NightlyScoring;
  readonly contactChanges: ContactChanges;
  readonly segmentExport: SegmentExport;
  readonly email: EmailSending;
  readonly workflows: ReactivationWorkflows;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: ClvStackProps = {}) {
    super(scope, id, props);
    // Each IAM wildcard acknowledged for cdk-nag only with the reason it is needed (lib/nag-acknowledgements.ts).
    Aspects.of(this).add(new WildcardAcknowledgements());
    const settings = { ...STACK_DEFAULTS, ...withoutUndefined(props) };
    this.store = new StoreTable(this, "Store");
    const workflows = props.workflows ?? loadWorkflows({ extraSegments: settings.segments });
    this.ingestion = new IngestionApi(this, "Ingestion", {
      table: this.store.table,
      apiKeyHashes: settings.apiKeyHashes,
      storeName: settings.storeName,
      workflows,
    });
    this.bulkImport = new BulkImport(this, "BulkImport", { table: this.store.table });
    const { senderIdentity, storeName } = settings;
    const senderDomain = senderIdentity.includes("@") ? senderIdentity.split("@")[1] : senderIdentity;
    this.email = new EmailSending(this, "Email", { table: this.store.table, identity: senderIdentity });
    this.workflows = new ReactivationWorkflows(this, "Workflows", {
      table: this.store.table,
      email: this.email,
      workflows,
      sender: {
        from: props.senderAddress ?? `${storeName} <hello@${senderDomain}>`,
        storeName,
        storeUrl: props.storeUrl ?? `https://${senderDomain}`,
        ...(props.couponUrl !== undefined && { couponUrl: props.couponUrl }),
        ...(props.timeZone !== undefined && { timeZone: props.timeZone }),
      },
      unsubscribeUrl: `${this.ingestion.api.apiEndpoint}/unsubscribe`,
      unsubscribeSecret: this.ingestion.unsubscribeSecret,
    });
    this.segmentExport = new SegmentExport(this, "SegmentExport", { table: this.store.table });
    // The API's POST /segments/{id}/export starts export jobs and GET /exports/{id} answers them.
    this.segmentExport.grantRequest(this.ingestion.handler);
    Validations.of(this.segmentExport.bucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "No server access logs: every export is asked for through a logged call (the API's access log, the exporter's log: segment, time), files are deleted after 7 days and are read only through pre-signed links that expire within the hour. CloudTrail data events can log each download where a store must audit them.",
    });
    this.nightly = new NightlyScoring(this, "Nightly", {
      table: this.store.table,
      enrolFunction: this.workflows.enrolFunction,
      ...(props.timeZone !== undefined && { timeZone: props.timeZone }),
      ...(props.nightlyHour !== undefined && { hour: props.nightlyHour }),
    });
    this.contactChanges = new ContactChanges(this, "ContactChanges", { table: this.store.table });
    // The store's currency and earliest order date are the store's, not one capability's: every function reads them.
    for (const fn of this.node.findAll().filter((c): c is NodejsFunction => c instanceof NodejsFunction)) {
      fn.addEnvironment("STORE_CURRENCY", settings.storeCurrency);
      fn.addEnvironment("EARLIEST_ORDER_DATE", settings.earliestOrderDate);
    }
    // Last: it watches every Lambda and dead-letter queue made above.
    this.operations = new Operations(this, "Operations", {
      ...(props.alarmEmail !== undefined && { alarmEmail: props.alarmEmail }),
      nightly: this.nightly.stateMachine,
      api: this.ingestion.api,
      deadLetterQueues: {
        "contact changes": this.contactChanges.deadLetters,
        "segment entries": this.workflows.enrolDeadLetters,
        "SES feedback": this.email.feedbackDeadLetters,
        imports: this.bulkImport.importDeadLetters,
        "nightly schedule": this.nightly.scheduleDeadLetters,
      },
      functions: this.node
        .findAll()
        .filter((c): c is NodejsFunction => c instanceof NodejsFunction)
        .map((fn) => ({ name: fn.node.path.split("/").slice(1).join("/"), fn, logGroup: fn.logGroup })),
    });
  }
}
