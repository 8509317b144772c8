import type { ContactInput } from "../../domain/store/contact.js";
import { applyContactUpdate, type ProfileSource } from "../../domain/store/contact-update.js";
import { countedAttribute, profileKey, removedAttribute } from "../../domain/store/table-keys.js";
import { newProfileAttributes } from "./contact-items.js";
import { decimalSum, summaryValue, type SummaryEntry } from "./order-summary.js";
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
 * writes it, and the order summary with the counters recordOrders keeps), 25 contacts a BatchWriteItem:
 * the items a contact import and an order import leave in an empty table, in some 170 requests for
 * Online Retail's 4,372 contacts where the imports take some 6,000 conditional ones.
 *
 * Order items (ORDER#…) and the order ids' claims (ORDERIDS#…) are not written: they keep later imports
 * of the same orders idempotent and let a cancellation find its order, and a first load is not imported
 * again (OrderFold checked the files' duplicates and conflicts). The table must be empty, which is
 * checked first. A contact whose summary outgrows DynamoDB's 400 KB item (some 10,000 orders) fails the
 * load, where an import would count its orders up to there.
 */
export async function writeFirstLoad(table: StoreTable, contacts: readonly FirstLoadContact[], source: ProfileSource = "import"): Promise<void> {
  for await (const _ of table.scan({ Limit: 1 })) throw new TableNotEmptyError(table.tableName);
  const now = table.clock();
  await table.writeItems(
    contacts.map(({ contactId, contact, counted, removed, everCounted }) => {
      const item: Record<string, unknown> = { ...profileKey(contactId) };
      if (contact) Object.assign(item, newProfileAttributes(applyContactUpdate(undefined, contactId, contact, { source, now }).profile));
      let orders = 0;
      for (const [orderId, entry] of counted) {
        item[countedAttribute(orderId)] = summaryValue(entry);
        // A credit note (negative total) lowers revenue but is no order, as recordOrders counts it.
        if (entry.total >= 0) orders++;
      }
      for (const [orderId, at] of removed) item[removedAttribute(orderId)] = at;
      if (everCounted) {
        item.orderCount = orders;
        item.revenue = decimalSum([...counted.values()].map((e) => e.total));
      }
      return item;
    }),
  );
}
