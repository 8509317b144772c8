import { roundToMinorUnit } from "./money.js";
import type { OrderStatus } from "./order.js";
import type { OrderOutcome } from "./ports.js";

/**
 * What an order, as sent, asks of the contact's running summary, given the status the store already
 * has for it (undefined: never seen).
 *
 * - `count`: a placed order, new or stored as placed, belongs in the figures. Counting is a no-op when
 *   it already is, and refused when it was taken out before (a placed order never comes back after a
 *   cancellation: webhooks arrive out of order, and "placed" after "refunded" is the late one).
 * - `uncount`: a cancellation or refund takes the order out of the figures and marks it so that it is
 *   never counted again. `markStatus`: the stored order is still placed and takes the new status. A
 *   placed order that the store has as cancelled or refunded is also an `uncount`: the order stays
 *   out, and a removal that a crash cut short is finished.
 */
export type OrderStep = { kind: "count" } | { kind: "uncount"; markStatus: boolean };

export function orderStep(stored: OrderStatus | undefined, incoming: OrderStatus): OrderStep {
  if (incoming === "placed") return stored === undefined || stored === "placed" ? { kind: "count" } : { kind: "uncount", markStatus: false };
  return { kind: "uncount", markStatus: stored === "placed" };
}

/**
 * Why the summary did not take an order it was asked to count. `summary-full`: a store whose summaries
 * have a ceiling has no room left for the contact; the order is stored, not counted. The DynamoDB store
 * has none (a large contact's summary goes on in further pages, order-summary.ts), but the port keeps
 * the answer so that no store's limit can fail more than that contact's orders.
 */
export type NotCounted = "already-counted" | "removed-before" | "summary-full" | "contended" | "refunded" | "late-refund";

/** The outcome of a `count` step: counted now, or the reason it was not. */
export function countOutcome(notCounted?: NotCounted): OrderOutcome {
  if (notCounted === "summary-full" || notCounted === "contended" || notCounted === "refunded" || notCounted === "late-refund") return notCounted;
  return notCounted === undefined ? "recorded" : notCounted === "already-counted" ? "duplicate" : "already-removed";
}

/** In words, for the sender of an order whose contact's summary is full. */
export function summaryFullMessage(contactId: string): string {
  return `the order summary of contact ${contactId} is full (the store's item limit, 400 KB on DynamoDB): the order is stored but not counted in the contact's figures`;
}

/** Tries of one conditional write to a contact's summary (or an id's claim) before its orders are `contended`. */
export const CONTENDED_TRIES = 10;

/** In words, for the sender of an order that other senders' writes to the same contact kept from being recorded. */
export function contendedMessage(contactId: string): string {
  return (
    `the orders of contact ${contactId} kept changing while this one was recorded (other senders writing the same contact, ${CONTENDED_TRIES} tries): ` +
    `it may be stored but is not yet in the contact's figures; sending it again is safe and finishes it`
  );
}

/**
 * The outcome of an `uncount` step: "removed" when it changed anything (a new cancelled order stored,
 * a status changed, the order taken out of the figures), "already-removed" when it changed nothing.
 */
export function uncountOutcome(changed: boolean): OrderOutcome {
  return changed ? "removed" : "already-removed";
}

/** A refund to date of a counted order: what the store had refunded of it, and what was sent (filled in by recordOrder). */
export interface RefundChange {
  stored?: number;
  sent?: number;
}

/**
 * What a counted order sent again with its refund to date asks of its summary entry, refunded `stored`
 * so far: `refund` (lower the net total by the difference), `same`, or `late` (a smaller refund than
 * the store has: an earlier webhook arriving after a later one, which must not raise the revenue back).
 * A send without refundedAmount says nothing of refunds: `same`.
 */
export function refundStep(stored: number, sent: number | undefined): "refund" | "same" | "late" {
  if (sent === undefined || sent === stored) return "same";
  return sent > stored ? "refund" : "late";
}

/** What a `refunded` outcome took off the contact's revenue: the refund to date sent less the one the store had. */
export function refundTaken(change: RefundChange, currency: string): number {
  return roundToMinorUnit((change.sent ?? 0) - (change.stored ?? 0), currency);
}

/** In words, for the sender of a refund to date smaller than the store's. */
export function lateRefundMessage(orderId: string, change: RefundChange): string {
  return `order ${orderId} was refunded ${change.stored} to date already, more than the ${change.sent} sent (a refund to date only grows: this send is older than one already recorded); kept ${change.stored}, nothing changed`;
}
