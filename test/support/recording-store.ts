import type { ContactHistory } from "../../functions/domain/clv/order-history.js";
import type { ContactScores } from "../../functions/domain/clv/contact-scores.js";
import type { ContactInput, ContactProfile, SubscriptionStatus } from "../../functions/domain/store/contact.js";
import type { EmailEventInput } from "../../functions/domain/store/email-event.js";
import type { OrderInput } from "../../functions/domain/store/order.js";
import type { OrderOutcome, StoreData, StoredContact } from "../../functions/domain/store/ports.js";

/** A StoreData that only records what it was asked to write, for route tests that need no database. */
export class RecordingStore implements StoreData {
  readonly writes: { method: string; args: unknown[] }[] = [];
  readonly orderIds = new Set<string>();

  async putContact(contactId: string, contact: ContactInput): Promise<ContactProfile> {
    this.writes.push({ method: "putContact", args: [contactId, contact] });
    return { contactId, ...contact, updatedAt: "2024-01-01T00:00:00.000Z" };
  }
  async getContact(): Promise<StoredContact | undefined> {
    return undefined;
  }
  async setSubscription(contactId: string, subscription: SubscriptionStatus, at: string): Promise<void> {
    this.writes.push({ method: "setSubscription", args: [contactId, subscription, at] });
  }
  async recordOrder(order: OrderInput): Promise<OrderOutcome> {
    this.writes.push({ method: "recordOrder", args: [order] });
    if (this.orderIds.has(order.id)) return "duplicate";
    this.orderIds.add(order.id);
    return "recorded";
  }
  async recordEmailEvent(event: EmailEventInput): Promise<void> {
    this.writes.push({ method: "recordEmailEvent", args: [event] });
  }
  async *scanHistories(): AsyncIterable<ContactHistory[]> {}
  async putScores(scores: readonly ContactScores[]): Promise<void> {
    this.writes.push({ method: "putScores", args: [scores] });
  }
}
