import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { contactHistories, type Order } from "../../domain/clv/order-history.js";
import { subscriptionStatuses, type ContactInput, type ContactProfile } from "../../domain/store/contact.js";
import { applyContactUpdate, type ProfileSource } from "../../domain/store/contact-update.js";
import type { EmailEventInput } from "../../domain/store/email-event.js";
import type { ContactUpdate, StoredContact, SubscriptionChangeEvent } from "../../domain/store/ports.js";
import { addressKey, applySubscriptionEvent, optOutChannels, readSubscriptionState, type SubscriptionResult } from "../../domain/store/subscription.js";
import { FixedKey, KeyPrefix, SummaryPageAttribute, contactIdOf, emailEventKey, profileKey, suppressionKey } from "../../domain/store/table-keys.js";
import { collectOrders, withSummaryPages } from "./order-summary.js";
import { inParallel } from "./table-batches.js";
import { isConditionFailed, parseStored, scanSegment, type StoreTable } from "./table.js";

/*
 * Under the contact's partition: PROFILE (the profile attributes, sharing its item with the order
 * summary of order-summary.ts) and EVENT#… (e-mail events).
 */

/** The profile's attributes in its PROFILE item: what the platform sent, and the subscription's state (subscription.ts). */
const PROFILE_ATTRIBUTES = [
  "email",
  "firstName",
  "country",
  "subscription",
  "consentAt",
  "optedOutAt",
  "optedOutVia",
  "complainedAt",
  "bouncedAt",
  "bouncedAddress",
  "subscriptionHistory",
  "updatedAt",
] as const satisfies readonly (keyof ContactProfile)[];

/**
 * Bumped by every profile write, which is conditional on the number it read: a profile is read, the
 * rules applied, and written back only if no one wrote in between (an unsubscribe racing the
 * platform's PUT must not be lost). On a clash the write is read and applied again.
 */
const VERSION = "profileVersion";
const MAX_ATTEMPTS = 8;

/** A new PROFILE item's profile attributes and first version, as writeProfile leaves them: for a first load (first-load.ts). */
export function newProfileAttributes(profile: ContactProfile): Record<string, unknown> {
  const attributes: Record<string, unknown> = { [VERSION]: 1 };
  for (const field of PROFILE_ATTRIBUTES) if (profile[field] !== undefined) attributes[field] = profile[field];
  return attributes;
}

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

/** One profile written by putContacts: what it did, and the notes of the subscription rules (applyContactUpdate). */
export interface ContactWrite {
  outcome: ContactOutcome;
  notes: string[];
}

/** The profile as it stood when read, and the version its write must find. */
interface ReadProfile {
  profile?: ContactProfile;
  version?: number;
}

/** Contacts' profiles and e-mail events. */
export class ContactItems {
  constructor(private readonly table: StoreTable) {}

  /**
   * Creates or replaces the profile (PUT semantics for its fields), its subscription moved by the rules
   * (applyContactUpdate): an old consent does not undo a newer opt-out, and the notes say so.
   */
  async putContact(contactId: string, contact: ContactInput, source: ProfileSource = "api"): Promise<ContactUpdate> {
    const [write] = await this.putContactsFrom([{ contactId, contact }], source, true);
    return { profile: write!.profile, notes: write!.notes };
  }

  /**
   * Writes many profiles by the same rules, skipping those already stored as given (a re-imported file
   * changes nothing, not even updatedAt, and wakes no stream consumer). One BatchGetItem per 100
   * contacts finds them, one per 100 new addresses their erasure suppressions.
   */
  async putContacts(contacts: readonly { contactId: string; contact: ContactInput }[], source: ProfileSource = "import"): Promise<ContactWrite[]> {
    return (await this.putContactsFrom(contacts, source, false)).map(({ outcome, notes }) => ({ outcome, notes }));
  }

  private async putContactsFrom(contacts: readonly { contactId: string; contact: ContactInput }[], source: ProfileSource, single: boolean) {
    const read = new Map<string, ReadProfile>();
    if (single) read.set(contacts[0]!.contactId, await this.readProfile(contacts[0]!.contactId));
    else for (const item of await this.table.getItems([...new Set(contacts.map((c) => c.contactId))].map(profileKey))) read.set(contactIdOf(String(item.PK)), profileOf(item));
    const erasures = await this.erasedAt(contacts.filter((c) => c.contact.email !== undefined && addressKey(c.contact.email) !== addressKey(read.get(c.contactId)?.profile?.email)).map((c) => c.contact.email!));
    // The same contact twice in one call: each later row is applied to what the one before it wrote.
    const byContact = new Map<string, number[]>();
    contacts.forEach((c, i) => byContact.set(c.contactId, [...(byContact.get(c.contactId) ?? []), i]));
    const writes: (ContactWrite & { profile: ContactProfile })[] = new Array(contacts.length);
    await inParallel([...byContact], this.table.concurrency, async ([contactId, indexes]) => {
      let current = read.get(contactId) ?? {};
      for (const i of indexes) {
        const { contact } = contacts[i]!;
        const erasedAt = contact.email === undefined ? undefined : erasures.get(addressKey(contact.email)!);
        const created = current.profile === undefined;
        const written = await this.writeByRules(contactId, current, (stored) => {
          const update = applyContactUpdate(stored, contactId, contact, { source, now: this.table.clock(), ...(erasedAt !== undefined && { erasedAt }) });
          return { ...update, result: update };
        });
        writes[i] = { outcome: !written.changed ? "unchanged" : created ? "created" : "updated", notes: written.result.notes, profile: written.profile };
        current = { profile: written.profile, version: written.version };
      }
    });
    return writes;
  }

  async getContact(contactId: string): Promise<ContactRecord | undefined> {
    const item = await this.table.get(profileKey(contactId));
    return item ? contactRecord((await withSummaryPages(this.table, [item]))[0]!) : undefined;
  }

  /**
   * The profile alone, read consistently: only its attributes of the PROFILE item, which it shares with
   * the order summary, and none of the summary's pages. What a mail's decision (address, consent) reads.
   */
  async getContactProfile(contactId: string): Promise<ContactProfile | undefined> {
    const item = await this.table.get(profileKey(contactId), { attributes: ["PK", ...PROFILE_ATTRIBUTES] });
    return item ? storedProfile(item) : undefined;
  }

  /** An unsubscribe, "I changed my mind", a complaint or a bounce, by the rules; undefined (nothing written) without a profile. */
  async changeSubscription(contactId: string, event: SubscriptionChangeEvent): Promise<SubscriptionResult | undefined> {
    const current = await this.readProfile(contactId);
    if (!current.profile) return undefined;
    const written = await this.writeByRules(contactId, current, (stored) => {
      if (!stored) return undefined;
      const result = applySubscriptionEvent(stored, event, this.table.clock());
      return { profile: { ...stored, ...result.state, updatedAt: result.changed ? this.table.nowIso() : stored.updatedAt }, changed: result.changed, result };
    });
    return written.result;
  }

  /**
   * Reads the time an address was erased, by its hash (contact-erasure.ts), for every address given;
   * a map from addressKey to erasedAt.
   */
  async erasedAt(emails: readonly string[]): Promise<Map<string, string>> {
    const hashes = [...new Set(emails.map((e) => addressKey(e)!))];
    const found = new Map<string, string>();
    if (hashes.length === 0) return found;
    for (const item of await this.table.getItems(hashes.map(suppressionKey))) found.set(String(item.PK).slice(KeyPrefix.suppression.length), String(item.erasedAt));
    return found;
  }

  /** The PROFILE item's profile and version, read consistently. */
  private async readProfile(contactId: string): Promise<ReadProfile> {
    const item = await this.table.get(profileKey(contactId));
    return item ? profileOf(item) : {};
  }

  /**
   * Applies `change` to the profile as read and writes it if it changed, conditional on the version
   * read; on a clash reads again and re-applies, so two writers never lose each other's change.
   */
  private async writeByRules<R>(
    contactId: string,
    first: ReadProfile,
    change: (stored: ContactProfile | undefined) => { profile: ContactProfile; changed: boolean; result: R } | undefined,
  ): Promise<{ profile: ContactProfile; changed: boolean; result: R; version?: number }> {
    let current = first;
    for (let attempt = 1; ; attempt++) {
      const next = change(current.profile);
      if (!next) throw new Error(`contact ${contactId} has no profile`);
      if (!next.changed) return { ...next, ...(current.version !== undefined && { version: current.version }) };
      try {
        const version = await this.writeProfile(contactId, next.profile, current.version);
        return { ...next, version };
      } catch (error) {
        if (!isConditionFailed(error) || attempt >= MAX_ATTEMPTS) throw error;
        current = await this.readProfile(contactId);
      }
    }
  }

  /** Sets the profile's attributes (removing those it lacks) if the item is still at `version`; returns the new version. */
  private async writeProfile(contactId: string, profile: ContactProfile, version: number | undefined): Promise<number> {
    const set: string[] = [];
    const remove: string[] = [];
    const names: Record<string, string> = { "#version": VERSION };
    const values: Record<string, unknown> = { ":next": (version ?? 0) + 1 };
    for (const field of PROFILE_ATTRIBUTES) {
      names[`#${field}`] = field;
      if (profile[field] === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = profile[field];
      }
    }
    if (version !== undefined) values[":version"] = version;
    // UpdateItem, not PutItem: the profile shares its item with the order summary, which a write of
    // the profile must leave alone.
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: profileKey(contactId),
        UpdateExpression: `SET ${[...set, "#version = :next"].join(", ")}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
        ConditionExpression: version === undefined ? "attribute_not_exists(#version)" : "#version = :version",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return (version ?? 0) + 1;
  }

  /** Every contact (with or without orders), one scan segment, a page at a time. */
  async *listContacts(segment = 0, totalSegments = 1): AsyncIterable<ContactRecord[]> {
    for await (const items of this.scanProfiles(segment, totalSegments, false)) yield (await withSummaryPages(this.table, items)).map(contactRecord);
  }

  /**
   * PROFILE items of one scan segment, all of them, or only those with counted orders together with
   * the further pages of large contacts' summaries (order-summary.ts), which follow their PROFILE.
   */
  scanProfiles(segment: number, totalSegments: number, withOrders: boolean): AsyncIterable<Record<string, unknown>[]> {
    return this.table.scan({
      ...scanSegment(segment, totalSegments),
      ...(withOrders
        ? {
            // A PROFILE whose own counters are 0 may still carry credit notes that net its other pages.
            FilterExpression: "(SK = :profile AND (orderCount > :none OR attribute_exists(#pages))) OR begins_with(SK, :page)",
            ExpressionAttributeNames: { "#pages": SummaryPageAttribute.pages },
            ExpressionAttributeValues: { ":profile": FixedKey.profile, ":none": 0, ":page": KeyPrefix.summaryPage },
          }
        : { FilterExpression: "SK = :profile", ExpressionAttributeValues: { ":profile": FixedKey.profile } }),
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

const isoText = z.string();
const StoredProfile = z.object({
  email: z.string().optional(),
  firstName: z.string().optional(),
  country: z.string().optional(),
  subscription: z.enum(subscriptionStatuses),
  consentAt: isoText.optional(),
  optedOutAt: isoText.optional(),
  optedOutVia: z.enum(optOutChannels).optional(),
  complainedAt: isoText.optional(),
  bouncedAt: isoText.optional(),
  bouncedAddress: z.string().optional(),
  subscriptionHistory: z
    .array(
      z.object({
        at: isoText,
        recordedAt: isoText,
        event: z.enum(["consent", "opt-out", "no-consent", "complaint", "bounce"]),
        via: z.string().optional(),
        subscription: z.enum(subscriptionStatuses),
        note: z.string().optional(),
      }),
    )
    .optional(),
  updatedAt: z.string(),
});

/** The profile part of a PROFILE item, as stored (a profile written before the subscription had its state read as the state it meant); undefined when only orders created the item. */
function storedProfile(item: Record<string, unknown>): ContactProfile | undefined {
  if (item.updatedAt === undefined) return undefined;
  const contactId = contactIdOf(String(item.PK));
  const parsed = parseStored(StoredProfile, item, `profile of contact ${contactId}`) as Omit<ContactProfile, "contactId">;
  const { email, firstName, country, updatedAt } = parsed;
  return {
    contactId,
    ...(email !== undefined && { email }),
    ...(firstName !== undefined && { firstName }),
    ...(country !== undefined && { country }),
    ...readSubscriptionState(parsed),
    updatedAt,
  };
}

/** The profile and its write version. */
function profileOf(item: Record<string, unknown>): ReadProfile {
  const profile = storedProfile(item);
  return { ...(profile && { profile }), ...(typeof item[VERSION] === "number" && { version: item[VERSION] as number }) };
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
    ...(profile && { profile }),
    ...(history && { history }),
    orderCount: typeof item.orderCount === "number" ? item.orderCount : 0,
    revenue: typeof item.revenue === "number" ? item.revenue : 0,
  };
}
