import { z } from "zod";
import { ContactScores } from "../../domain/clv/contact-scores.js";
import { contactHistories, type ContactHistory, type Order } from "../../domain/clv/order-history.js";
import { FixedKey, contactIdOf, profileKey, scoresKey } from "../../domain/store/table-keys.js";
import { contactRecord, type ContactItems, type ContactRecord } from "./contact-items.js";
import { collectOrders, withSummaryPages } from "./order-summary.js";
import { parseStored, scanSegment, withoutKey, type StoreTable } from "./table.js";

/* Under the contact's partition: SCORES, the contact's figures from the last scoring, and scoredAt. */

export type StoredScores = ContactScores & { scoredAt: string };

/** The contacts' histories as scoring reads them, and the scores it writes. */
export class ScoreItems {
  constructor(
    private readonly table: StoreTable,
    private readonly contacts: ContactItems,
  ) {}

  /**
   * Every contact with at least one counted order, as histories, a scan page at a time. Segments
   * split the table for a parallel scan (a Distributed Map runs one per segment).
   */
  async *scanHistories(segment = 0, totalSegments = 1): AsyncIterable<ContactHistory[]> {
    const fold = (items: Record<string, unknown>[]) => {
      const orders: Order[] = [];
      for (const item of items) collectOrders(item, orders);
      // One fold for the page: the same code the models are tested with (order-history.ts).
      return contactHistories(orders, Number.POSITIVE_INFINITY);
    };
    // A large contact's summary pages follow its PROFILE and may run on into the next scan page, so
    // the last contact of each page waits for the next (a contact's items come together in a scan).
    let held: Record<string, unknown>[] = [];
    for await (const items of this.contacts.scanProfiles(segment, totalSegments, true)) {
      const all = held.length > 0 ? [...held, ...items] : items;
      const lastPk = all[all.length - 1]!.PK;
      let end = all.length;
      while (end > 0 && all[end - 1]!.PK === lastPk) end--;
      held = all.slice(end);
      const histories = fold(all.slice(0, end));
      if (histories.length > 0) yield histories;
    }
    const last = fold(held);
    if (last.length > 0) yield last;
  }

  async putScores(scores: readonly ContactScores[]): Promise<void> {
    const scoredAt = this.table.nowIso();
    await this.table.writeItems(scores.map((s) => ({ ...scoresKey(s.contactId), ...s, scoredAt })));
  }

  async getScores(contactId: string): Promise<StoredScores | undefined> {
    const item = await this.table.get(scoresKey(contactId), { consistent: false });
    return item && storedScores(item, contactId);
  }

  /** Profiles and scores of many contacts in BatchGetItem calls (100 keys each), for exports. */
  async getContactsWithScores(contactIds: readonly string[]): Promise<Map<string, { contact?: ContactRecord; scores?: StoredScores }>> {
    const found = new Map<string, { contact?: ContactRecord; scores?: StoredScores }>(contactIds.map((id) => [id, {}]));
    const keys = contactIds.flatMap((id) => [profileKey(id), scoresKey(id)]);
    const items = await this.table.getItems(keys);
    const profiles = await withSummaryPages(this.table, items.filter((item) => item.SK === FixedKey.profile));
    for (const item of [...profiles, ...items.filter((item) => item.SK !== FixedKey.profile)]) {
      const contactId = contactIdOf(String(item.PK));
      const entry = found.get(contactId)!;
      if (item.SK === FixedKey.profile) entry.contact = contactRecord(item);
      else entry.scores = storedScores(item, contactId);
    }
    return found;
  }

  /** Every contact's stored scores, a scan page at a time. */
  async *listScores(segment = 0, totalSegments = 1): AsyncIterable<ContactScores[]> {
    const scan = { ...scanSegment(segment, totalSegments), FilterExpression: "SK = :scores", ExpressionAttributeValues: { ":scores": FixedKey.scores } };
    for await (const items of this.table.scan(scan)) yield items.map(scoresOf);
  }
}

/** A SCORES item's figures, unchecked (the nightly scan's hot loop). */
export function scoresOf({ PK: _pk, SK: _sk, scoredAt: _at, ...scores }: Record<string, unknown>): ContactScores {
  return scores as unknown as ContactScores;
}

function storedScores(item: Record<string, unknown>, contactId: string): StoredScores {
  return parseStored(StoredScoresItem, withoutKey(item), `scores of contact ${contactId}`);
}

/** The SCORES item as stored: the figures (one schema, contact-scores.ts) and when they were scored. */
const StoredScoresItem = ContactScores.extend({ scoredAt: z.string() });
