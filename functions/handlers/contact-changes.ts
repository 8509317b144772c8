import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { DynamoDBBatchResponse, DynamoDBRecord } from "aws-lambda";
import { z } from "zod";
import { serviceLogger } from "../adapters/logging/logger.js";
import { putMetrics } from "../adapters/logging/metrics.js";
import { rescoreChangedContacts, type ContactChangeStore } from "../domain/nightly/contact-changes.js";
import type { NightlyPlan } from "../domain/nightly/nightly-scoring.js";
import type { SegmentDefinition } from "../domain/segments/segment-definition.js";
import { KeyPrefix, contactIdOf, summaryPageOf } from "../domain/store/table-keys.js";
import { parseEvent } from "./events.js";
import { lambdaHandler, tableStore } from "./runtime.js";

/** The parts of a DynamoDB stream record we read; the event source mapping lets only PROFILE items through. */
const StreamRecord = z.object({
  eventName: z.enum(["INSERT", "MODIFY", "REMOVE"]),
  dynamodb: z.object({
    Keys: z.object({ PK: z.object({ S: z.string().startsWith(KeyPrefix.contact) }), SK: z.object({ S: z.string() }) }),
    SequenceNumber: z.string().min(1),
  }),
});
const StreamEvent = z.object({ Records: z.array(z.unknown()) });

const logger = serviceLogger("contact-changes");

export interface ContactChangeResult extends DynamoDBBatchResponse {
  rescored: number;
  entered: { segmentId: string; contactId: string }[];
  left: { segmentId: string; contactId: string }[];
}

/**
 * A contact's profile changed (an order counted or taken out, a subscription change): rescore it with
 * the current model and update its memberships. Records go through Powertools' batch processor one
 * at a time, so that one bad record fails alone: it is reported back (ReportBatchItemFailures) and
 * retried, then sent to the dead-letter queue, while the rest of the batch goes on. A contact changed
 * twice in one batch is rescored once; both its records share the outcome.
 */
export async function handleContactChanges(store: ContactChangeStore, event: unknown, now: number): Promise<ContactChangeResult> {
  const { Records } = parseEvent(StreamEvent, event, "stream event");
  const result: ContactChangeResult = { batchItemFailures: [], rescored: 0, entered: [], left: [] };
  // The model and the segment definitions, read once per batch and only when a profile changed.
  let model: Promise<{ plan?: NightlyPlan; definitions: SegmentDefinition[] }> | undefined;
  const rescoring = new Map<string, Promise<void>>();

  const rescore = async (contactId: string, sequenceNumber: string) => {
    try {
      model ??= Promise.all([store.latestCompletedPlan(), store.listSegmentDefinitions()]).then(([plan, definitions]) => ({ ...(plan && { plan }), definitions }));
      const outcome = await rescoreChangedContacts(store, [contactId], now, await model);
      if ("skipped" in outcome) return;
      result.rescored += outcome.rescored.contacts;
      for (const [segmentId, changes] of outcome.rescored.changes) {
        for (const m of changes.entered) result.entered.push({ segmentId, contactId: m.contactId });
        for (const m of changes.left) result.left.push({ segmentId, contactId: m.contactId });
      }
    } catch (error) {
      logger.error("rescoring a changed contact failed", { contactId, sequenceNumber, error });
      throw error;
    }
  };

  const handleRecord = async (raw: DynamoDBRecord) => {
    const record = StreamRecord.safeParse(raw);
    if (!record.success) {
      // Not ours to retry forever: a record we cannot read is reported and left to the DLQ.
      const issues = record.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
      logger.error("unreadable stream record", { sequenceNumber: raw?.dynamodb?.SequenceNumber, issues });
      throw new Error(`unreadable stream record: ${issues.join("; ")}`);
    }
    const { eventName, dynamodb } = record.data;
    // PROFILE, or a further page of a large contact's order summary (a new order may land only there).
    if (eventName === "REMOVE" || summaryPageOf(dynamodb.Keys.SK.S) === undefined) return;
    const contactId = contactIdOf(dynamodb.Keys.PK.S);
    let rescored = rescoring.get(contactId);
    if (!rescored) rescoring.set(contactId, (rescored = rescore(contactId, dynamodb.SequenceNumber)));
    await rescored;
  };

  // One record after the other (a contact's records share one rescoring), and a batch in which every
  // record failed is answered like any other: each failure reported, none thrown.
  const { batchItemFailures } = await processPartialResponse({ Records: Records as DynamoDBRecord[] }, handleRecord, new BatchProcessor(EventType.DynamoDBStreams), {
    processInParallel: false,
    throwOnFullBatchFailure: false,
  });
  return { ...result, batchItemFailures: [...batchItemFailures] };
}

export const handler = lambdaHandler(logger, () => {
  const store = tableStore();
  return async (event: unknown): Promise<DynamoDBBatchResponse> => {
    const { batchItemFailures, rescored, entered, left } = await handleContactChanges(store, event, Date.now());
    putMetrics({ ContactsRescored: rescored, StreamRecordsFailed: batchItemFailures.length });
    if (entered.length + left.length > 0) logger.info("segment memberships changed", { entered: entered.length, left: left.length });
    return { batchItemFailures };
  };
});
