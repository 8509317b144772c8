import type { DynamoDBBatchResponse } from "aws-lambda";
import { z } from "zod";
import { serviceLogger } from "../adapters/logging/logger.js";
import { putMetrics } from "../adapters/logging/metrics.js";
import { rescoreChangedContacts, type ContactChangeStore } from "../domain/nightly/contact-changes.js";
import { FixedKey, KeyPrefix, contactIdOf } from "../domain/store/table-keys.js";
import { parseEvent } from "./events.js";
import { once, tableStore } from "./runtime.js";

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
 * the current model and update its memberships. Contacts are rescored one by one so that one bad
 * record fails alone: it is reported back (ReportBatchItemFailures) and retried, then sent to the
 * dead-letter queue, while the rest of the batch goes on.
 */
export async function handleContactChanges(store: ContactChangeStore, event: unknown, now: number): Promise<ContactChangeResult> {
  const { Records } = parseEvent(StreamEvent, event, "stream event");
  const result: ContactChangeResult = { batchItemFailures: [], rescored: 0, entered: [], left: [] };
  const sequenceNumbersOf = new Map<string, string[]>();
  for (const raw of Records) {
    const record = StreamRecord.safeParse(raw);
    if (!record.success) {
      // Not ours to retry forever: a record we cannot read is reported and left to the DLQ.
      const sequence = (raw as { dynamodb?: { SequenceNumber?: string } })?.dynamodb?.SequenceNumber;
      logger.error("unreadable stream record", { sequenceNumber: sequence, issues: record.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
      if (sequence) result.batchItemFailures.push({ itemIdentifier: sequence });
      continue;
    }
    if (record.data.eventName === "REMOVE" || record.data.dynamodb.Keys.SK.S !== FixedKey.profile) continue;
    const contactId = contactIdOf(record.data.dynamodb.Keys.PK.S);
    sequenceNumbersOf.set(contactId, [...(sequenceNumbersOf.get(contactId) ?? []), record.data.dynamodb.SequenceNumber]);
  }
  if (sequenceNumbersOf.size === 0) return result;
  const plan = await store.latestCompletedPlan();
  const definitions = await store.listSegmentDefinitions();
  for (const [contactId, sequences] of sequenceNumbersOf) {
    try {
      const outcome = await rescoreChangedContacts(store, [contactId], now, { ...(plan && { plan }), definitions });
      if ("skipped" in outcome) continue;
      result.rescored += outcome.rescored.contacts;
      for (const [segmentId, changes] of outcome.rescored.changes) {
        for (const m of changes.entered) result.entered.push({ segmentId, contactId: m.contactId });
        for (const m of changes.left) result.left.push({ segmentId, contactId: m.contactId });
      }
    } catch (error) {
      logger.error("rescoring a changed contact failed", { contactId, sequenceNumbers: sequences, error });
      for (const itemIdentifier of sequences) result.batchItemFailures.push({ itemIdentifier });
    }
  }
  return result;
}

const store = once(async () => tableStore());

export async function handler(event: unknown): Promise<DynamoDBBatchResponse> {
  const { batchItemFailures, rescored, entered, left } = await handleContactChanges(await store(), event, Date.now());
  putMetrics({ ContactsRescored: rescored, StreamRecordsFailed: batchItemFailures.length });
  if (entered.length + left.length > 0) logger.info("segment memberships changed", { entered: entered.length, left: left.length });
  return { batchItemFailures };
}
