import type { ContactHistory } from "../../functions/domain/clv/order-history.js";
import type { ContactScores } from "../../functions/domain/clv/contact-scores.js";
import type { ContactInput, ContactProfile } from "../../functions/domain/store/contact.js";
import type { ErasureReport } from "../../functions/domain/store/contact-erasure.js";
import { applyContactUpdate } from "../../functions/domain/store/contact-update.js";
import { contactView, type ContactView } from "../../functions/domain/store/contact-view.js";
import type { EmailEventInput } from "../../functions/domain/store/email-event.js";
import type { OrderInput } from "../../functions/domain/store/order.js";
import type { ContactUpdate, OrderOutcome, ProfileSource, StoreData, StoredContact, SubscriptionChangeEvent } from "../../functions/domain/store/ports.js";
import { applySubscriptionEvent, type SubscriptionResult } from "../../functions/domain/store/subscription.js";

/**
 * A StoreData in memory that records what it was asked to write, for route tests that need no
 * database. Profiles follow the same domain rules as the DynamoDB store (applyContactUpdate,
 * applySubscriptionEvent); orders are only remembered by id.
 */
export class RecordingStore implements StoreData {
  readonly writes: { method: string; args: unknown[] }[] = [];
  readonly orderIds = new Set<string>();
  readonly profiles = new Map<string, ContactProfile>();

  constructor(private readonly clock: () => number = Date.now) {}

  async putContact(contactId: string, contact: ContactInput, source: ProfileSource = "api"): Promise<ContactUpdate> {
    this.writes.push({ method: "putContact", args: [contactId, contact, source] });
    const { profile, notes } = applyContactUpdate(this.profiles.get(contactId), contactId, contact, { source, now: this.clock() });
    this.profiles.set(contactId, profile);
    return { profile, notes };
  }
  async getContact(contactId: string): Promise<StoredContact | undefined> {
    const profile = this.profiles.get(contactId);
    return profile && { profile };
  }
  async getContactProfile(contactId: string): Promise<ContactProfile | undefined> {
    return this.profiles.get(contactId);
  }
  async changeSubscription(contactId: string, event: SubscriptionChangeEvent): Promise<SubscriptionResult | undefined> {
    this.writes.push({ method: "changeSubscription", args: [contactId, event] });
    const profile = this.profiles.get(contactId);
    if (!profile) return undefined;
    const result = applySubscriptionEvent(profile, event, this.clock());
    this.profiles.set(contactId, { ...profile, ...result.state });
    return result;
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
  async getContactView(contactId: string): Promise<ContactView | undefined> {
    const profile = this.profiles.get(contactId);
    return profile && contactView({ contactId, profile, orderCount: 0, revenue: 0, memberships: {}, enrolments: [] });
  }
  async eraseContact(contactId: string): Promise<ErasureReport | undefined> {
    this.writes.push({ method: "eraseContact", args: [contactId] });
    if (!this.profiles.delete(contactId)) return undefined;
    return { contactId, erasedAt: new Date(this.clock()).toISOString(), ordersKept: 0, itemsDeleted: 1, enrolmentsKept: 0, couponAssignmentsKept: 0, addressSuppressed: false };
  }
}
