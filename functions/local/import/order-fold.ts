import type { OrderImportStore } from "../../adapters/csv/import-csv.js";
import { orderEntry, type SummaryEntry } from "../../adapters/dynamodb/order-summary.js";
import { orderDifferences, type OrderDifference } from "../../domain/store/order-conflict.js";
import type { OrderInput } from "../../domain/store/order.js";
import type { OrderOutcome } from "../../domain/store/ports.js";
import { countOutcome, orderStep, refundStep, uncountOutcome, type RefundChange } from "../../domain/store/record-order.js";

/** One contact's orders folded as the store's summary keeps them (adapters/dynamodb/order-summary.ts). */
export interface FoldedContact {
  contactId: string;
  /** Counted orders by id: `o#<id>` in the PROFILE item. */
  counted: Map<string, SummaryEntry>;
  /** Orders taken out of the figures by id, with when: `x#<id>`. */
  removed: Map<string, number>;
  /** An order was counted at some point: the item then has the counters orderCount and revenue. */
  everCounted: boolean;
  /** The orders whose ids are this contact's, as first sent (the store's claims of their ids). */
  claims: OrderInput[];
}

/**
 * Orders recorded in memory with the outcomes DynamoDbStore.recordOrders gives on an empty table (the
 * same steps: domain/store/record-order.ts, the same conflict rule: order-conflict.ts), for a first
 * load that then writes each contact once with its whole history (adapters/dynamodb/first-load.ts)
 * instead of conditional writes per order. An order id is one order store-wide, as the store's claims
 * keep it (order-items.ts): the same order sent again is a duplicate, another order under a known id
 * a conflict, and a cancellation or refund goes to the contact whose order it is.
 */
export class OrderFold implements OrderImportStore {
  /** Each order id's order as first sent (its claim), with the status the store has for it. */
  private readonly orders = new Map<string, OrderInput>();
  private readonly byContact = new Map<string, FoldedContact>();

  constructor(private readonly clock: () => number = Date.now) {}

  async recordOrders(orders: readonly OrderInput[], conflicts?: Map<number, OrderDifference[]>, refunds?: Map<number, RefundChange>): Promise<OrderOutcome[]> {
    return orders.map((sent, index) => {
      const stored = this.orders.get(sent.id);
      const order = stored && sent.status !== "placed" && stored.contactId !== sent.contactId ? { ...sent, contactId: stored.contactId } : sent;
      if (stored) {
        const differences = orderDifferences(stored, order);
        if (differences.length > 0) {
          conflicts?.set(index, differences);
          return "conflict";
        }
      }
      let changed = false;
      const step = orderStep(stored?.status, order.status);
      const contact = this.contact(order.contactId);
      if (!stored) {
        this.orders.set(order.id, order);
        contact.claims.push(order);
        changed = true;
      } else if (step.kind === "uncount" && step.markStatus) {
        this.orders.set(order.id, { ...stored, status: order.status });
        changed = true;
      }
      if (step.kind === "count") {
        const entry = contact.counted.get(order.id);
        if (entry) {
          // A refund to date larger than the entry's lowers it to the net total, as order-items.ts does.
          const refund = refundStep(entry.refunded ?? 0, order.refundedAmount);
          if (refund === "same") return countOutcome("already-counted");
          refunds?.set(index, { stored: entry.refunded ?? 0, sent: order.refundedAmount! });
          if (refund === "late") return countOutcome("late-refund");
          contact.counted.set(order.id, orderEntry(order));
          return countOutcome("refunded");
        }
        if (contact.removed.has(order.id)) return countOutcome("removed-before");
        contact.counted.set(order.id, orderEntry(order));
        contact.everCounted = true;
        return countOutcome();
      }
      if (contact.counted.delete(order.id)) {
        contact.removed.set(order.id, this.clock());
        changed = true;
      } else if (!contact.removed.has(order.id)) contact.removed.set(order.id, this.clock());
      return uncountOutcome(changed);
    });
  }

  /** Every contact an order named, in the order first named. */
  contacts(): FoldedContact[] {
    return [...this.byContact.values()];
  }

  private contact(contactId: string): FoldedContact {
    let contact = this.byContact.get(contactId);
    if (!contact) this.byContact.set(contactId, (contact = { contactId, counted: new Map(), removed: new Map(), everCounted: false, claims: [] }));
    return contact;
  }
}
