import type { ContactInput } from "../../domain/store/contact.js";
import { applyContactUpdate, type ProfileSource } from "../../domain/store/contact-update.js";
import type { OrderInput } from "../../domain/store/order.js";
import { ORDER_CLAIMS_VERSION, SUMMARY_ID_MAX, SummaryPageAttribute, countedAttribute, orderClaimKey, orderClaimSlot, removedAttribute, summaryPageKey } from "../../domain/store/table-keys.js";
import { newProfileAttributes } from "./contact-items.js";
import { orderClaim } from "./order-items.js";
import { SEALED_PAGE_ENTRIES, SUMMARY_PAGE_ENTRIES, decimalSum, summaryValue, type SummaryEntry } from "./order-summary.js";
import { chunks } from "./table-batches.js";
import type { StoreTable } from "./table.js";

/** A contact as a first load writes it: its profile when there is one, its orders folded into the summary. */
export interface FirstLoadContact {
  contactId: string;
  contact?: ContactInput;
  /** Counted orders by id (o#…). */
  counted: ReadonlyMap<string, SummaryEntry>;
  /** Orders taken out of the figures by id, with when (x#…). */
  removed: ReadonlyMap<string, number>;
  /** An order was counted at some point: the counters orderCount and revenue are kept. */
  everCounted: boolean;
  /** The orders whose ids are this contact's, as first sent: their claims (ORDERIDS#…) are written too. */
  claims?: readonly OrderInput[];
}

/** Thrown when a first load finds the table holding anything: its writes have no conditions. */
export class TableNotEmptyError extends Error {
  constructor(tableName: string) {
    super(`table ${tableName} is not empty: a first load writes without conditions, so it only loads a new table; import into it with clv import instead`);
    this.name = "TableNotEmptyError";
  }
}

/**
 * Writes each contact once, its PROFILE item whole (the profile by the consent rules, as putContacts
 * writes it, and the order summary with the counters recordOrders keeps, in pages of
 * SUMMARY_PAGE_ENTRIES as recordOrders fills them), and the claims of its order ids, 25 items a
 * BatchWriteItem: the items a contact import and an order import leave in an empty table, in some 190
 * requests for Online Retail's 4,372 contacts and 18,536 orders where the imports take some 6,000
 * conditional ones.
 *
 * The claims are what keeps an order id one order in the store: a later import of the same id for
 * another contact, or with another total, is a conflict, and a cancellation finds whose order it is.
 * Order items (ORDER#…) are not written: an order sent again after a first load is told apart by its
 * claim and its summary entry, and its order item is written then. A page whose entries name ids over
 * SUMMARY_ID_MAX by their hash keeps the whole ids in `summaryLongIds`, for erasure to free their claims. The table must be empty, which is
 * checked first (the writes have no conditions).
 */
export async function writeFirstLoad(table: StoreTable, contacts: readonly FirstLoadContact[], source: ProfileSource = "import"): Promise<void> {
  for await (const _ of table.scan({ Limit: 1 })) throw new TableNotEmptyError(table.tableName);
  const now = table.clock();
  const claimedAt = table.nowIso();
  const items: Record<string, unknown>[] = [];
  const claimItems = new Map<string, Record<string, unknown>>();
  for (const { contactId, contact, counted, removed, everCounted, claims = [] } of contacts) {
    const entries: [name: string, orderId: string, value: unknown, total?: number][] = [
      ...[...counted].map(([orderId, entry]): [string, string, unknown, number] => [countedAttribute(orderId), orderId, summaryValue(entry), entry.total]),
      ...[...removed].map(([orderId, at]): [string, string, unknown] => [removedAttribute(orderId), orderId, at]),
    ];
    const pages = chunks(entries, SUMMARY_PAGE_ENTRIES);
    if (pages.length === 0) pages.push([]);
    pages.forEach((pageEntries, page) => {
      const item: Record<string, unknown> = { ...summaryPageKey(contactId, page) };
      if (page === 0 && contact) Object.assign(item, newProfileAttributes(applyContactUpdate(undefined, contactId, contact, { source, now }).profile));
      const totals: number[] = [];
      const longIds: string[] = [];
      for (const [name, orderId, value, total] of pageEntries) {
        item[name] = value;
        if (total !== undefined) totals.push(total);
        if (orderId.length > SUMMARY_ID_MAX) longIds.push(orderId);
      }
      // The page names these ids by a hash only, and there are no order items to tell them: erasure frees their claims from here.
      if (longIds.length > 0) item[SummaryPageAttribute.longIds] = longIds;
      if (pageEntries.length > 0) item[SummaryPageAttribute.entries] = pageEntries.length;
      // A full page is sealed, as recordOrders leaves it; PROFILE says how many pages follow it.
      if (page < pages.length - 1) Object.assign(item, { [SummaryPageAttribute.sealed]: true, [SummaryPageAttribute.entries]: SEALED_PAGE_ENTRIES });
      if (page === 0 && pages.length > 1) item[SummaryPageAttribute.pages] = pages.length - 1;
      if (page === 0 ? everCounted : totals.length > 0) {
        // A credit note (negative total) lowers revenue but is no order, as recordOrders counts it.
        item.orderCount = totals.filter((t) => t >= 0).length;
        item.revenue = decimalSum(totals);
      }
      items.push(item);
    });
    for (const order of claims) {
      const key = orderClaimKey(order.id);
      let claimItem = claimItems.get(key.PK);
      // Versioned, as recordOrders writes claim items, so a later import puts each back whole.
      if (!claimItem) claimItems.set(key.PK, (claimItem = { ...key, [ORDER_CLAIMS_VERSION]: 1 }));
      claimItem[orderClaimSlot(order.id)] = orderClaim(order, claimedAt);
    }
  }
  await table.writeItems([...items, ...claimItems.values()]);
}
