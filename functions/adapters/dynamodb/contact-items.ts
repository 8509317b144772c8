import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { contactHistories, type Order } from "../../domain/clv/order-history.js";
import { subscriptionStatuses, type ContactInput, type ContactProfile, type SubscriptionStatus } from "../../domain/store/contact.js";
import type { EmailEventInput } from "../../domain/store/email-event.js";
import type { StoredContact } from "../../domain/store/ports.js";
import { FixedKey, contactIdOf, emailEventKey, profileKey } from "../../domain/store/table-keys.js";
import { collectOrders } from "./order-summary.js";
import { inParallel } from "./table-batches.js";
import { parseStored, scanSegment, type StoreTable } from "./table.js";

/*
 * Under the contact's partition: PROFILE (the profile attributes, sharing its item with the order
 * summary of order-summary.ts) and EVENT#… (e-mail events).
 */

const PROFILE_FIELDS = ["email", "firstName", "subscription", "consentAt", "country"] as const;

/** A contact as this store has it: what the port promises, plus the summary's counters. */
export interface ContactRecord extends StoredContact {
  contactId: string;
  /** Counted orders, kept by ADD with each order: equals history.orderCount. */
  orderCount: number;
  /** Sum of counted order totals in DynamoDB's exact decimal arithmetic: history.revenue up to float rounding. */
  revenue: number;
}

/** What writing a contact's profile did: `unchanged` when the stored profile already said the same. */
export type ContactOutcome = "created" | "updated" | "unchanged";

/** Contacts' profiles and e-mail events. */
export class ContactItems {
  constructor(private readonly table: StoreTable) {}

  async putContact(contactId: string, contact: ContactInput): Promise<ContactProfile> {
    const updatedAt = this.table.nowIso();
    const set: string[] = ["updatedAt = :updatedAt"];
    const remove: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":updatedAt": updatedAt };
    for (const field of PROFILE_FIELDS) {
      names[`#${field}`] = field;
      if (contact[field] === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = contact[field];
      }
    }
    // UpdateItem, not PutItem: the profile shares its item with the order summary, which a PUT of the
    // profile must leave alone. Fields the new profile lacks are removed, as a PUT would.
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: profileKey(contactId),
        UpdateExpression: `SET ${set.join(", ")}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return { contactId, ...contact, updatedAt };
  }

  /**
   * Writes many profiles, skipping those already stored as given (a re-imported file changes nothing,
   * not even updatedAt, and wakes no stream consumer). One BatchGetItem per 100 contacts finds them.
   */
  async putContacts(contacts: readonly { contactId: string; contact: ContactInput }[]): Promise<ContactOutcome[]> {
    const stored = await this.table.getItems(
      contacts.map((c) => profileKey(c.contactId)),
      ["PK", ...PROFILE_FIELDS, "updatedAt"],
    );
    const profiles = new Map(stored.map((item) => [contactIdOf(String(item.PK)), storedProfile(item)]));
    // The same contact twice in one call: each later profile is compared with the one before it.
    const byContact = new Map<string, number[]>();
    contacts.forEach((c, i) => {
      const list = byContact.get(c.contactId);
      if (list) list.push(i);
      else byContact.set(c.contactId, [i]);
    });
    const outcomes: ContactOutcome[] = new Array(contacts.length);
    await inParallel([...byContact], this.table.concurrency, async ([contactId, indexes]) => {
      let before: Partial<ContactProfile> | undefined = profiles.get(contactId);
      for (const i of indexes) {
        const { contact } = contacts[i]!;
        if (before && PROFILE_FIELDS.every((field) => before![field] === contact[field])) outcomes[i] = "unchanged";
        else {
          await this.putContact(contactId, contact);
          outcomes[i] = before ? "updated" : "created";
        }
        before = contact;
      }
    });
    return outcomes;
  }

  async getContact(contactId: string): Promise<ContactRecord | undefined> {
    const item = await this.table.get(profileKey(contactId));
    return item ? contactRecord(item) : undefined;
  }

  async setSubscription(contactId: string, subscription: SubscriptionStatus, at: string): Promise<void> {
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: profileKey(contactId),
        UpdateExpression: "SET #subscription = :subscription, #consentAt = :at, updatedAt = :now",
        ExpressionAttributeNames: { "#subscription": "subscription", "#consentAt": "consentAt" },
        ExpressionAttributeValues: { ":subscription": subscription, ":at": at, ":now": this.table.nowIso() },
      }),
    );
  }

  /** Every contact (with or without orders), one scan segment, a page at a time. */
  async *listContacts(segment = 0, totalSegments = 1): AsyncIterable<ContactRecord[]> {
    for await (const items of this.scanProfiles(segment, totalSegments, false)) yield items.map(contactRecord);
  }

  /** PROFILE items of one scan segment, all or only those with counted orders. */
  scanProfiles(segment: number, totalSegments: number, withOrdersOnly: boolean): AsyncIterable<Record<string, unknown>[]> {
    return this.table.scan({
      ...scanSegment(segment, totalSegments),
      FilterExpression: withOrdersOnly ? "SK = :profile AND orderCount > :none" : "SK = :profile",
      ExpressionAttributeValues: { ":profile": FixedKey.profile, ...(withOrdersOnly && { ":none": 0 }) },
    });
  }

  async recordEmailEvent(event: EmailEventInput): Promise<void> {
    // The time in UTC, so that events sort by time whatever offset they were sent with; a re-sent
    // event lands on the same key (table-keys.ts), so it is a no-op.
    const at = new Date(event.at).toISOString();
    await this.table.client.send(
      new PutCommand({ TableName: this.table.tableName, Item: { ...emailEventKey(event.contactId, at, event.type, event.emailId), ...event, at } }),
    );
  }
}

// ---- reading items (zod where the shape matters to callers; a plain check in the nightly scan's hot loop) ----

const StoredProfile = z.object({
  email: z.string().optional(),
  firstName: z.string().optional(),
  subscription: z.enum(subscriptionStatuses),
  consentAt: z.string().optional(),
  country: z.string().optional(),
  updatedAt: z.string(),
});

/** The profile part of a PROFILE item; undefined when only orders created the item (no profile yet). */
function storedProfile(item: Record<string, unknown>): z.output<typeof StoredProfile> | undefined {
  if (item.updatedAt === undefined) return undefined;
  return parseStored(StoredProfile, item, `profile of contact ${contactIdOf(String(item.PK))}`);
}

/** A PROFILE item as the contact it describes: profile, history from the summary, counters. */
export function contactRecord(item: Record<string, unknown>): ContactRecord {
  const contactId = contactIdOf(String(item.PK));
  const profile = storedProfile(item);
  const orders: Order[] = [];
  collectOrders(item, orders);
  const history = orders.length > 0 ? contactHistories(orders, Number.POSITIVE_INFINITY)[0] : undefined;
  return {
    contactId,
    ...(profile && {
      profile: {
        contactId,
        subscription: profile.subscription,
        updatedAt: profile.updatedAt,
        ...(profile.email !== undefined && { email: profile.email }),
        ...(profile.firstName !== undefined && { firstName: profile.firstName }),
        ...(profile.consentAt !== undefined && { consentAt: profile.consentAt }),
        ...(profile.country !== undefined && { country: profile.country }),
      },
    }),
    ...(history && { history }),
    orderCount: typeof item.orderCount === "number" ? item.orderCount : 0,
    revenue: typeof item.revenue === "number" ? item.revenue : 0,
  };
}
