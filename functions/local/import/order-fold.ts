import type { OrderImportStore } from "../../adapters/csv/import-csv.js";
import type { SummaryEntry } from "../../adapters/dynamodb/order-summary.js";
import { orderDifferences, type OrderDifference } from "../../domain/store/order-conflict.js";
import type { OrderInput } from "../../domain/store/order.js";
import type { OrderOutcome } from "../../domain/store/ports.js";
import { countOutcome, orderStep, uncountOutcome } from "../../domain/store/record-order.js";

/** One contact's orders folded as the store's summary keeps them (adapters/dynamodb/order-summary.ts). */
export interface FoldedContact {
  contactId: string;
  /** Counted orders by id: `o#<id>` in the PROFILE item. */
  counted: Map<string, SummaryEntry>;
  /** Orders taken out of the figures by id, with when: `x#<id>`. */
  removed: Map<string, number>;
  /** An order was counted at some point: the item then has the counters orderCount and revenue. */
  everCounted: boolean;
}

/**
 * Orders recorded in memory with the outcomes DynamoDbStore.recordOrders gives on an empty table (the
 * same steps: domain/store/record-order.ts, the same conflict rule: order-conflict.ts), for a first
 * load that then writes each contact once with its whole history (adapters/dynamodb/first-load.ts)
 * instead of a conditional write per order. An order is known by its contact and id, as the store
 * keys it; the same order sent twice is a duplicate, another order under a known id a conflict.
 */
export class OrderFold implements OrderImportStore {
  private readonly orders = new Map<string, OrderInput>();
  private readonly byContact = new Map<string, FoldedContact>();

  constructor(private readonly clock: () => number = Date.now) {}

  async recordOrders(orders: readonly OrderInput[], conflicts?: Map<number, OrderDifference[]>): Promise<OrderOutcome[]> {
    return orders.map((order, index) => {
      const key = `${order.contactId}#${order.id}`;
      const stored = this.orders.get(key);
      if (stored) {
        const differences = orderDifferences(stored, order);
        if (differences.length > 0) {
          conflicts?.set(index, differences);
          return "conflict";
        }
      }
      let changed = false;
      const step = orderStep(stored?.status, order.status);
      if (!stored) {
        this.orders.set(key, order);
        changed = true;
      } else if (step.kind === "uncount" && step.markStatus) {
        this.orders.set(key, { ...stored, status: order.status });
        changed = true;
      }
      const contact = this.contact(order.contactId);
      if (step.kind === "count") {
        if (contact.counted.has(order.id)) return countOutcome("already-counted");
        if (contact.removed.has(order.id)) return countOutcome("removed-before");
        contact.counted.set(order.id, { at: Date.parse(order.createdAt), total: order.total });
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
    if (!contact) this.byContact.set(contactId, (contact = { contactId, counted: new Map(), removed: new Map(), everCounted: false }));
    return contact;
  }
}
