import { Duration } from "aws-cdk-lib";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { FilterCriteria, FilterRule, type IFunction } from "aws-cdk-lib/aws-lambda";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { CONTACT_CHANGES_DEFAULTS, handlerFunction, streamConsumer, withoutUndefined } from "./lambda-function.js";
import { FixedKey, KeyPrefix } from "../functions/domain/store/table-keys.js";

export interface ContactChangesProps {
  /** The store's table: its stream (new and old images) wakes the function. */
  readonly table: ITableV2;
  /**
   * How long the stream's records are gathered into one batch before the function is invoked.
   * @default 1 second (CONTACT_CHANGES_DEFAULTS, lib/lambda-function.ts)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * How long one batch (up to 100 contacts) may take to rescore.
   * @default 30 seconds
   */
  readonly timeout?: Duration;
}

/**
 * A contact that changes (docs/design.md, flow 3): the table's stream, filtered to PROFILE items
 * (orders and subscriptions change them; the night's own score and membership writes do not), invokes
 * a Lambda that rescores each changed contact with the current model and updates its memberships
 * within seconds. A record that fails is reported (ReportBatchItemFailures), retried, then kept in a
 * dead-letter queue.
 */
export class ContactChanges extends Construct {
  readonly handler: IFunction;
  /** Stream records that still failed after the retries. */
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: ContactChangesProps) {
    super(scope, id);
    const { table } = props;
    const settings = { ...CONTACT_CHANGES_DEFAULTS, ...withoutUndefined(props) };
    const handler = handlerFunction(this, "Handler", "contact-changes.ts", { environment: { TABLE_NAME: table.tableName }, timeout: settings.timeout });
    // The profile and the current model's plan read, memberships and scores written in batches.
    table.grant(handler, "dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem");
    this.deadLetters = streamConsumer(this, "DeadLetters", handler, table, {
      what: "contact-change stream",
      maxBatchingWindow: settings.maxBatchingWindow,
      // A contact's orders change its PROFILE, or for a large contact one of its further summary pages.
      filters: [
        FilterCriteria.filter({ dynamodb: { Keys: { SK: { S: FilterRule.isEqual(FixedKey.profile) } } } }),
        FilterCriteria.filter({ dynamodb: { Keys: { SK: { S: FilterRule.beginsWith(KeyPrefix.summaryPage) } } } }),
      ],
    });
    this.handler = handler;
  }
}
