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
import { DEFAULT_EARLIEST_ORDER_DATE } from "../functions/domain/input/calendar-time.js";
import { DEFAULT_STORE_CURRENCY } from "../functions/domain/store/money.js";

/** The whole system on the store's AWS account; each capability is one construct composed here. */
export interface ClvStackProps extends StackProps {
  /** SHA-256 hashes of the store's API keys (context `apiKeyHashes`, comma-separated). */
  apiKeyHashes?: readonly string[];
  /** IANA time zone of the store, for the nightly schedule (context `timeZone`). */
  timeZone?: string;
  /** Hour of the night the scoring starts, in that time zone (context `nightlyHour`). */
  nightlyHour?: number;
  /** The store as its e-mails name it, and where their links go (context `storeName`, `storeUrl`, `couponUrl`). */
  storeName?: string;
  storeUrl?: string;
  /** A link that applies a coupon at the store, with {code} where the code goes. */
  couponUrl?: string;
  /** The verified SES identity (a domain or an address) and the From of the mail (context `senderIdentity`, `senderAddress`). */
  senderIdentity?: string;
  senderAddress?: string;
  /** Where the alarms go by e-mail (context `alarmEmail`); the SNS topic is made either way. */
  alarmEmail?: string;
  /**
   * The reactivation workflows, one state machine each.
   * @default the files of `workflows/`, checked against the e-mail templates and the segments below
   */
  workflows?: readonly WorkflowDefinition[];
  /**
   * The ISO 4217 currency the store counts in (context `storeCurrency`): every figure is kept and shown
   * in it, and an order in another carries its exchange rate.
   * @default "EUR" (DEFAULT_STORE_CURRENCY)
   */
  readonly storeCurrency?: string;
  /**
   * YYYY-MM-DD: orders dated before it are refused (context `earliestOrderDate`).
   * @default "1995-01-01" (DEFAULT_EARLIEST_ORDER_DATE)
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
    this.store = new StoreTable(this, "Store");
    const workflows = props.workflows ?? loadWorkflows({ extraSegments: props.segments ?? [] });
    this.ingestion = new IngestionApi(this, "Ingestion", {
      table: this.store.table,
      apiKeyHashes: props.apiKeyHashes ?? [],
      storeName: props.storeName ?? "The shop",
      workflows,
    });
    this.bulkImport = new BulkImport(this, "BulkImport", { table: this.store.table });
    const senderIdentity = props.senderIdentity ?? "shop.example";
    this.email = new EmailSending(this, "Email", { table: this.store.table, identity: senderIdentity });
    this.workflows = new ReactivationWorkflows(this, "Workflows", {
      table: this.store.table,
      email: this.email,
      workflows,
      sender: {
        from: props.senderAddress ?? `${props.storeName ?? "The shop"} <hello@${senderIdentity.includes("@") ? senderIdentity.split("@")[1] : senderIdentity}>`,
        storeName: props.storeName ?? "The shop",
        storeUrl: props.storeUrl ?? `https://${senderIdentity.includes("@") ? senderIdentity.split("@")[1] : senderIdentity}`,
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
      fn.addEnvironment("STORE_CURRENCY", props.storeCurrency ?? DEFAULT_STORE_CURRENCY);
      fn.addEnvironment("EARLIEST_ORDER_DATE", props.earliestOrderDate ?? DEFAULT_EARLIEST_ORDER_DATE);
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
