import type { OrderInput } from "./order.js";

/** A field in which an order sent differs from the order the store has under the same id. */
export interface OrderDifference {
  field: "contactId" | "total" | "currency" | "createdAt";
  stored: string | number;
  sent: string | number;
}

/** What of a stored order decides whether a re-sent one is the same order. */
export type OrderFacts = Pick<OrderInput, "contactId" | "total" | "currency" | "createdAt" | "originalTotal" | "originalCurrency">;

/**
 * How the order sent differs from the one stored under its id: by contact, total, currency or date,
 * each as sent (the total in its own currency, the time as the instant it names). A status is no
 * difference: a cancellation or refund is the same order sent again with another status.
 */
export function orderDifferences(stored: OrderFacts, sent: OrderFacts): OrderDifference[] {
  const differences: OrderDifference[] = [];
  if (stored.contactId !== sent.contactId) differences.push({ field: "contactId", stored: stored.contactId, sent: sent.contactId });
  const storedCurrency = stored.originalCurrency ?? stored.currency;
  const sentCurrency = sent.originalCurrency ?? sent.currency;
  if (storedCurrency !== sentCurrency) differences.push({ field: "currency", stored: storedCurrency, sent: sentCurrency });
  const storedTotal = stored.originalTotal ?? stored.total;
  const sentTotal = sent.originalTotal ?? sent.total;
  if (storedTotal !== sentTotal) differences.push({ field: "total", stored: storedTotal, sent: sentTotal });
  if (Date.parse(stored.createdAt) !== Date.parse(sent.createdAt)) differences.push({ field: "createdAt", stored: stored.createdAt, sent: sent.createdAt });
  return differences;
}

/** In words: `total: stored 10, sent 99; createdAt: stored …, sent …`. */
export function describeDifferences(differences: readonly OrderDifference[]): string {
  return differences.map((d) => `${d.field}: stored ${d.stored}, sent ${d.sent}`).join("; ");
}

/** An order id the store has for another order: nothing was changed. */
export class OrderConflictError extends Error {
  constructor(
    readonly orderId: string,
    readonly differences: readonly OrderDifference[],
  ) {
    super(`order ${orderId} is already stored as another order (${describeDifferences(differences)}): an order id is recorded once, and nothing was changed`);
    this.name = "OrderConflictError";
  }
}
