import type { ContactHistory } from "../clv/order-history.js";
import type { ContactScores } from "../clv/contact-scores.js";
import type { ContactInput, ContactProfile } from "./contact.js";
export type { ProfileSource } from "./contact-update.js";
import type { ErasureReport } from "./contact-erasure.js";
import type { ProfileSource } from "./contact-update.js";
import type { ContactView } from "./contact-view.js";
import type { EmailEventInput } from "./email-event.js";
import type { OrderInput } from "./order.js";
import type { RefundChange } from "./record-order.js";
import type { SubscriptionEvent, SubscriptionResult } from "./subscription.js";

/** What recording an order did: each outcome is safe to repeat (a re-sent order is a no-op). */
/**
 * `summary-full`: stored, but the contact's summary has no room to count it (record-order.ts).
 * `contended`: other senders kept changing the contact's summary (or the id's claim) through every try,
 * so the order may be stored but not yet counted; sending it again is safe and finishes it.
 */
/**
 * `refunded`: a counted order sent again with a larger refundedAmount; the contact's revenue dropped by
 * the difference. `late-refund`: sent with a smaller refundedAmount than the store has (a webhook that
 * arrived after a later one): the larger is kept and nothing changed.
 */
export type OrderOutcome = "recorded" | "duplicate" | "removed" | "already-removed" | "conflict" | "summary-full" | "contended" | "refunded" | "late-refund";

/** A contact with everything the nightly job needs: profile and running order summary, one item. */
export interface StoredContact {
  profile?: ContactProfile;
  /** The contact's counted orders folded into a history; undefined without orders. */
  history?: ContactHistory;
}

/** What writing a profile did: the profile as stored, and why its subscription is not what the update said, in words. */
export interface ContactUpdate {
  profile: ContactProfile;
  notes: string[];
}

/** A change of subscription that is not a profile update: an unsubscribe, "I changed my mind", a complaint, a bounce. */
export type SubscriptionChangeEvent = Exclude<SubscriptionEvent, { type: "update" }>;


/** The store's data, as the domain needs it (DynamoDB implements it; tests may fake it). */
export interface StoreData {
  /**
   * Creates or replaces the contact's profile fields (PUT semantics); never touches its order summary.
   * Its subscription moves by the rules (applySubscriptionEvent): an old consent does not undo a newer
   * opt-out, and the notes say so.
   */
  putContact(contactId: string, contact: ContactInput, source?: ProfileSource): Promise<ContactUpdate>;
  getContact(contactId: string): Promise<StoredContact | undefined>;
  /** The contact's profile without its order history (getContact's `profile`), for what needs only the address and consent. */
  getContactProfile(contactId: string): Promise<ContactProfile | undefined>;
  /** Applies an unsubscribe, consent, complaint or bounce by the rules; undefined when the store has no profile for the contact (nothing is written). */
  changeSubscription(contactId: string, event: SubscriptionChangeEvent): Promise<SubscriptionResult | undefined>;
  /** Records an order (or its refund/cancellation) exactly once into the order item and the contact's summary. */
  /** Throws OrderConflictError when the store has another order under the id (another total, currency or date), changing nothing. */
  /** `refund`, when given, is filled in for a `refunded` or `late-refund` outcome: the refund to date the store had and the one sent. */
  recordOrder(order: OrderInput, refund?: RefundChange): Promise<OrderOutcome>;
  recordEmailEvent(event: EmailEventInput): Promise<void>;
  /** Every contact with orders, as histories, one scan segment of `totalSegments` at a time. */
  scanHistories(segment?: number, totalSegments?: number): AsyncIterable<ContactHistory[]>;
  putScores(scores: readonly ContactScores[]): Promise<void>;
  /** Everything held about one contact, with its enrolments in `workflowIds`; undefined when unknown. */
  getContactView(contactId: string, workflowIds: readonly string[]): Promise<ContactView | undefined>;
  /** Erases the contact (contact-erasure.ts); undefined when unknown. Safe to repeat after a failure. */
  eraseContact(contactId: string, workflowIds: readonly string[]): Promise<ErasureReport | undefined>;
}
