import type { ContactHistory } from "../clv/order-history.js";
import type { ContactScores } from "../clv/contact-scores.js";
import type { ContactInput, ContactProfile, SubscriptionStatus } from "./contact.js";
import type { EmailEventInput } from "./email-event.js";
import type { OrderInput } from "./order.js";

/** What recording an order did: each outcome is safe to repeat (a re-sent order is a no-op). */
export type OrderOutcome = "recorded" | "duplicate" | "removed" | "already-removed";

/** A contact with everything the nightly job needs: profile and running order summary, one item. */
export interface StoredContact {
  profile?: ContactProfile;
  /** The contact's counted orders folded into a history; undefined without orders. */
  history?: ContactHistory;
}

/** The store's data, as the domain needs it (DynamoDB implements it; tests may fake it). */
export interface StoreData {
  /** Creates or replaces the contact's profile (PUT semantics); never touches its order summary. */
  putContact(contactId: string, contact: ContactInput): Promise<ContactProfile>;
  getContact(contactId: string): Promise<StoredContact | undefined>;
  /** Changes only the subscription status (and consentAt = at): one-click unsubscribe, bounces, complaints. */
  setSubscription(contactId: string, subscription: SubscriptionStatus, at: string): Promise<void>;
  /** Records an order (or its refund/cancellation) exactly once into the order item and the contact's summary. */
  recordOrder(order: OrderInput): Promise<OrderOutcome>;
  recordEmailEvent(event: EmailEventInput): Promise<void>;
  /** Every contact with orders, as histories, one scan segment of `totalSegments` at a time. */
  scanHistories(segment?: number, totalSegments?: number): AsyncIterable<ContactHistory[]>;
  putScores(scores: readonly ContactScores[]): Promise<void>;
}
