import type { ContactState } from "../../domain/nightly/nightly-scoring.js";
import type { EmailEventType } from "../../domain/store/email-event.js";
import { FixedKey, KeyPrefix, contactIdOf, contactPk, membershipsKey, profileKey, scoresKey, summaryPageOf } from "../../domain/store/table-keys.js";
import { contactRecord } from "./contact-items.js";
import { mergedSummaryItem, spilledPageKeys } from "./order-summary.js";
import { scoresOf } from "./score-items.js";
import { inParallel } from "./table-batches.js";
import { scanSegment, type StoreTable } from "./table.js";

/** Contacts handed to scoring at a time from a scan. */
const STATE_BATCH = 1000;

/**
 * A contact as the night reads it, from several of its items: PROFILE (profile and order summary),
 * SUMMARY#… (a large contact's further summary pages), SCORES, MEMBERSHIPS and EVENT#… (e-mail events).
 */
export class ContactStates {
  constructor(private readonly table: StoreTable) {}

  /**
   * A scan segment's contacts with everything the night reads of each. A parallel scan splits the
   * table by partition, so a contact's items all fall in one segment.
   */
  async *scanContactStates(segment = 0, totalSegments = 1): AsyncIterable<ContactState[]> {
    const scan = {
      ...scanSegment(segment, totalSegments),
      FilterExpression: "SK IN (:profile, :scores, :memberships) OR begins_with(SK, :event) OR begins_with(SK, :page)",
      ExpressionAttributeValues: { ":profile": FixedKey.profile, ":scores": FixedKey.scores, ":memberships": FixedKey.memberships, ":event": KeyPrefix.event, ":page": KeyPrefix.summaryPage },
    };
    // Items of one partition come together; a contact is yielded once the scan has moved past it.
    let open: Record<string, unknown>[] = [];
    let batch: ContactState[] = [];
    for await (const items of this.table.scan(scan)) {
      for (const item of items) {
        if (open.length > 0 && open[0]!.PK !== item.PK) {
          batch.push(contactState(open));
          open = [];
        }
        open.push(item);
      }
      if (batch.length >= STATE_BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (open.length > 0) batch.push(contactState(open));
    if (batch.length > 0) yield batch;
  }

  /** The same states for a few contacts by id (a changed contact between nights). */
  async getContactStates(contactIds: readonly string[]): Promise<ContactState[]> {
    const items = await this.table.getItems(contactIds.flatMap((id) => [profileKey(id), scoresKey(id), membershipsKey(id)]));
    const byContact = new Map<string, Record<string, unknown>[]>(contactIds.map((id) => [contactPk(id), []]));
    for (const item of items) byContact.get(String(item.PK))!.push(item);
    const pages = items.filter((item) => item.SK === FixedKey.profile).flatMap((item) => spilledPageKeys(contactIdOf(String(item.PK)), item));
    for (const page of await this.table.getItems(pages)) byContact.get(String(page.PK))!.push(page);
    await inParallel(contactIds, this.table.concurrency, async (id) => {
      const query = { KeyConditionExpression: "PK = :pk AND begins_with(SK, :event)", ExpressionAttributeValues: { ":pk": contactPk(id), ":event": KeyPrefix.event } };
      for await (const events of this.table.query(query)) byContact.get(contactPk(id))!.push(...events);
    });
    return [...byContact.values()].filter((items) => items.length > 0).map(contactState);
  }
}

/** One contact's items (any of PROFILE, SUMMARY#…, SCORES, MEMBERSHIPS, EVENT#…) as the night reads them. */
function contactState(items: readonly Record<string, unknown>[]): ContactState {
  const contactId = contactIdOf(String(items[0]!.PK));
  const state: ContactState = { contactId, memberships: {}, emailEvents: [] };
  const emailEvents: { type: EmailEventType; at: number; emailId?: string }[] = [];
  const pages = items.filter((item) => (summaryPageOf(String(item.SK)) ?? 0) > 0);
  for (const item of items) {
    if (pages.includes(item)) continue; // read with PROFILE
    if (item.SK === FixedKey.profile) {
      const record = contactRecord(mergedSummaryItem(item, pages));
      if (record.profile) state.profile = record.profile;
      if (record.history) state.history = record.history;
    } else if (item.SK === FixedKey.scores) {
      state.scores = scoresOf(item);
      if (typeof item.scoredAt === "string") state.scoredAt = item.scoredAt;
    } else if (item.SK === FixedKey.memberships) {
      state.memberships = (item.memberships ?? {}) as Record<string, string>;
    } else {
      emailEvents.push({ type: item.type as EmailEventType, at: Date.parse(String(item.at)), ...(typeof item.emailId === "string" && { emailId: item.emailId }) });
    }
  }
  state.emailEvents = emailEvents;
  return state;
}
