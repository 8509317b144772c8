import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  GetCommand,
  NumberValue,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { TableBatches, UnprocessedItemsError, chunks, inParallel, type BatchOptions } from "./table-batches.js";
import type { ContactScores } from "../../domain/clv/contact-scores.js";
import { contactHistories, type ContactHistory, type Order } from "../../domain/clv/order-history.js";
import { rfmGroups } from "../../domain/clv/rfm.js";
import { subscriptionStatuses, type ContactInput, type ContactProfile, type SubscriptionStatus } from "../../domain/store/contact.js";
import type { EmailEventInput } from "../../domain/store/email-event.js";
import { currencies, orderStatuses, type OrderInput, type OrderStatus } from "../../domain/store/order.js";
import type { OrderOutcome, StoreData, StoredContact } from "../../domain/store/ports.js";
import { countOutcome, orderStep, uncountOutcome, type NotCounted } from "../../domain/store/record-order.js";
import { parseSegmentDefinition, type SegmentDefinition } from "../../domain/segments/segment-definition.js";
import type { Membership, MembershipChanges } from "../../domain/segments/segment-membership.js";
import type { ContactMemberships, ContactState, NightlyPlan, NightlySummary } from "../../domain/nightly/nightly-scoring.js";
import type { EmailEventType } from "../../domain/store/email-event.js";
import type { Enrolment } from "../../domain/workflows/enrolment.js";

/*
 * Items (DESIGN.md, "Data"), all under the contact's partition:
 *   PROFILE          the profile attributes and the running order summary: `o#<orderId>` = {at, total}
 *                    for each counted order, `x#<orderId>` = epoch ms for each order taken out of the
 *                    figures (cancelled, refunded), and the counters orderCount and revenue.
 *   ORDER#<orderId>  the order as sent, with its current status.
 *   EVENT#<isoTime>#<type>[#<emailId>]  an e-mail event.
 *   SCORES           the contact's figures from the last scoring.
 *   MEMBERSHIPS      the segments the contact is in (segment id → entered at), so a scan segment or one
 *                    changed contact finds its own membership changes without reading whole segments.
 *
 * The `x#` marks are what keeps an order out once removed. Without them a re-sent "placed" that races
 * a refund could count the order again after the refund took it out (the refund's REMOVE leaves no
 * trace for `attribute_not_exists` to see), and a refund that arrives before its order could not stop
 * the late order from counting. Counting is conditional on neither attribute existing; removing sets
 * the mark in the same UpdateItem. They cost a few bytes per refunded order.
 */
const PROFILE = "PROFILE";
const SCORES = "SCORES";
const SEGMENTS = "SEGMENTS";
const MEMBERSHIPS = "MEMBERSHIPS";
const MODELRUN = "MODELRUN";
/** Contacts handed to scoring at a time from a scan. */
const STATE_BATCH = 1000;
const COUNTED = "o#";
const REMOVED = "x#";
const contactPk = (contactId: string) => `CONTACT#${contactId}`;
const orderSk = (orderId: string) => `ORDER#${orderId}`;
const contactIdOf = (pk: string) => pk.slice("CONTACT#".length);
const workflowPk = (workflowId: string) => `WORKFLOW#${workflowId}`;
const enrolmentOf = ({ PK: _pk, SK: _sk, ...enrolment }: Record<string, unknown>) => enrolment as unknown as Enrolment;

/**
 * Orders of one contact counted by one UpdateItem. Each adds about 60 characters of condition, and an
 * expression may have 4 KB.
 */
const SUMMARY_GROUP_MAX = 40;
/**
 * From this many orders in one call, the order items are checked with BatchGetItem and the new ones
 * written with BatchWriteItem (a request per 100 and per 25 orders instead of one per order). Below
 * it, each is put with `attribute_not_exists`, which is exact under any concurrency.
 */
const BATCH_ORDERS_MIN = 25;

const PROFILE_FIELDS = ["email", "firstName", "subscription", "consentAt", "country"] as const;

/** Batch retries and the requests in flight at once in a bulk call (recordOrders, putContacts, putScores). */
export type DynamoDbStoreOptions = BatchOptions;

/** A contact as this store has it: what the port promises, plus the summary's counters. */
export interface ContactRecord extends StoredContact {
  contactId: string;
  /** Counted orders, kept by ADD with each order: equals history.orderCount. */
  orderCount: number;
  /** Sum of counted order totals in DynamoDB's exact decimal arithmetic: history.revenue up to float rounding. */
  revenue: number;
}

export interface StoredOrder extends OrderInput {
  receivedAt: string;
  /** When a cancellation or refund changed the status of a placed order. */
  statusChangedAt?: string;
}

export type StoredScores = ContactScores & { scoredAt: string };

/** What writing a contact's profile did: `unchanged` when the stored profile already said the same. */
export type ContactOutcome = "created" | "updated" | "unchanged";

export { UnprocessedItemsError };

interface SummaryEntry {
  /** Order time, epoch ms. */
  at: number;
  total: number;
}

/** What a contact's summary says about some of its orders. */
interface Summary {
  counted: Map<string, SummaryEntry>;
  /** Orders marked removed. */
  removed: Set<string>;
}

/** An order on its way through recordOrders. */
interface Pending {
  order: OrderInput;
  /** Its place in the caller's array, for the outcome. */
  index: number;
  /** Status the store had before this call; undefined: the order is new. */
  stored?: OrderStatus;
  /** This call changed something about the order (stored it, changed its status, took it out of the figures). */
  changed: boolean;
}

/**
 * The store's data in one DynamoDB table. No transactions (dynalite has none): every write is a
 * single-item write that is safe to repeat, so a crash between two of them is healed by sending the
 * same thing again.
 */
export class DynamoDbStore implements StoreData {
  private readonly batches: TableBatches;
  private readonly concurrency: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => number = Date.now,
    options: DynamoDbStoreOptions = {},
  ) {
    this.batches = new TableBatches(client, tableName, options);
    this.concurrency = this.batches.concurrency;
  }

  // ---- contacts ----

  async putContact(contactId: string, contact: ContactInput): Promise<ContactProfile> {
    const updatedAt = new Date(this.clock()).toISOString();
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
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { PK: contactPk(contactId), SK: PROFILE },
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
    const stored = await this.getItems(
      contacts.map((c) => ({ PK: contactPk(c.contactId), SK: PROFILE })),
      ["PK", ...PROFILE_FIELDS, "updatedAt"],
    );
    const profiles = new Map(stored.map((item) => [item.PK as string, storedProfile(item)]));
    // The same contact twice in one call: each later profile is compared with the one before it.
    const byContact = new Map<string, number[]>();
    contacts.forEach((c, i) => {
      const list = byContact.get(c.contactId);
      if (list) list.push(i);
      else byContact.set(c.contactId, [i]);
    });
    const outcomes: ContactOutcome[] = new Array(contacts.length);
    await inParallel([...byContact], this.concurrency, async ([contactId, indexes]) => {
      let before: Partial<ContactProfile> | undefined = profiles.get(contactPk(contactId));
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
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { PK: contactPk(contactId), SK: PROFILE }, ConsistentRead: true }));
    return Item ? contactRecord(Item) : undefined;
  }

  async setSubscription(contactId: string, subscription: SubscriptionStatus, at: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { PK: contactPk(contactId), SK: PROFILE },
        UpdateExpression: "SET #subscription = :subscription, #consentAt = :at, updatedAt = :now",
        ExpressionAttributeNames: { "#subscription": "subscription", "#consentAt": "consentAt" },
        ExpressionAttributeValues: { ":subscription": subscription, ":at": at, ":now": new Date(this.clock()).toISOString() },
      }),
    );
  }

  /** Every contact (with or without orders), one scan segment, a page at a time. */
  async *listContacts(segment = 0, totalSegments = 1): AsyncIterable<ContactRecord[]> {
    for await (const items of this.scanProfiles(segment, totalSegments, false)) yield items.map(contactRecord);
  }

  // ---- orders ----

  async recordOrder(order: OrderInput): Promise<OrderOutcome> {
    return (await this.recordOrders([order]))[0]!;
  }

  /**
   * Records many orders (cancellations, refunds) with the outcomes recordOrder would give each, in far
   * fewer requests: the orders of one contact go into its summary with one UpdateItem. The same order
   * twice in one call is taken as sent twice, one after the other.
   *
   * With BATCH_ORDERS_MIN or more orders, new order items are written by BatchWriteItem after a
   * BatchGetItem found them missing. BatchWriteItem has no condition, so if another sender changes the
   * status of one of those very orders between the two requests, the order item loses that change. The
   * figures do not: the summary is still guarded by its own conditions, and sending the change again
   * restores the order item.
   */
  async recordOrders(orders: readonly OrderInput[]): Promise<OrderOutcome[]> {
    const outcomes: OrderOutcome[] = new Array(orders.length);
    const seen = new Set<string>();
    const first: Pending[] = [];
    const again: Pending[] = [];
    orders.forEach((order, index) => {
      const key = `${order.contactId}#${order.id}`;
      (seen.has(key) ? again : first).push({ order, index, changed: false });
      seen.add(key);
    });
    await this.recordDistinct(first, outcomes);
    for (const pending of again) await this.recordDistinct([pending], outcomes);
    return outcomes;
  }

  /** The order as stored, with its current status. */
  async getOrder(contactId: string, orderId: string): Promise<StoredOrder | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { PK: contactPk(contactId), SK: orderSk(orderId) }, ConsistentRead: true }));
    if (!Item) return undefined;
    const { PK: _pk, SK: _sk, ...order } = Item;
    return parseStored(StoredOrderItem, order, `order ${orderId} of contact ${contactId}`);
  }

  private async recordDistinct(pending: Pending[], outcomes: OrderOutcome[]): Promise<void> {
    if (pending.length === 0) return;
    await this.writeOrderItems(pending);
    // A cancellation or refund of a placed order changes the order item's status first, so that a
    // re-sent "placed" read from it from then on is kept out of the figures.
    await inParallel(pending, this.concurrency, async (p) => {
      const step = orderStep(p.stored, p.order.status);
      if (step.kind === "uncount" && step.markStatus && (await this.markStatus(p.order))) p.changed = true;
    });
    const byContact = new Map<string, { counts: Pending[]; uncounts: Pending[] }>();
    for (const p of pending) {
      let contact = byContact.get(p.order.contactId);
      if (!contact) byContact.set(p.order.contactId, (contact = { counts: [], uncounts: [] }));
      (orderStep(p.stored, p.order.status).kind === "count" ? contact.counts : contact.uncounts).push(p);
    }
    const read = await this.readSummaries([...byContact].filter(([, c]) => [...c.counts, ...c.uncounts].some((p) => p.stored !== undefined)).map(([id]) => id), pending.length);
    await inParallel([...byContact], this.concurrency, async ([contactId, { counts, uncounts }]) => {
      const summary = read.get(contactId);
      for (const [p, notCounted] of await this.countInSummary(contactId, counts, summary)) outcomes[p.index] = countOutcome(notCounted);
      for (const p of await this.uncountInSummary(contactId, uncounts, summary)) outcomes[p.index] = uncountOutcome(p.changed);
    });
  }

  /**
   * The summaries of contacts whose orders the store had already (re-sent orders, refunds), read in
   * one BatchGetItem per 100 contacts when the call is a batch. The reads are hints that spare
   * refused writes: every write that follows is still conditional.
   */
  private async readSummaries(contactIds: string[], orders: number): Promise<Map<string, Summary>> {
    const summaries = new Map<string, Summary>();
    if (orders < BATCH_ORDERS_MIN || contactIds.length === 0) return summaries;
    for (const id of contactIds) summaries.set(id, { counted: new Map(), removed: new Set() });
    for (const item of await this.getItems(contactIds.map((id) => ({ PK: contactPk(id), SK: PROFILE })))) {
      const contactId = contactIdOf(String(item.PK));
      summaries.set(contactId, summaryIn(item, contactId));
    }
    return summaries;
  }

  /** Writes the order items of new orders, and sets `stored` on each order the store already had. */
  private async writeOrderItems(pending: Pending[]): Promise<void> {
    const receivedAt = new Date(this.clock()).toISOString();
    const item = (order: OrderInput) => ({ PK: contactPk(order.contactId), SK: orderSk(order.id), ...order, receivedAt });
    if (pending.length < BATCH_ORDERS_MIN) {
      await inParallel(pending, this.concurrency, async (p) => {
        try {
          await this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: item(p.order),
              ConditionExpression: "attribute_not_exists(PK)",
              // DynamoDB hands back the stored order with the failure, sparing a read; dynalite does not.
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            }),
          );
          p.changed = true;
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
          p.stored = statusIn(error.Item?.status) ?? (await this.getOrder(p.order.contactId, p.order.id))?.status ?? "placed";
        }
      });
      return;
    }
    const stored = await this.getItems(
      pending.map((p) => ({ PK: contactPk(p.order.contactId), SK: orderSk(p.order.id) })),
      ["PK", "SK", "status"],
    );
    const statuses = new Map(stored.map((s) => [`${s.PK as string}|${s.SK as string}`, statusIn(s.status) ?? "placed"]));
    const fresh: Pending[] = [];
    for (const p of pending) {
      p.stored = statuses.get(`${contactPk(p.order.contactId)}|${orderSk(p.order.id)}`);
      if (p.stored === undefined) fresh.push(p);
    }
    await this.writeItems(fresh.map((p) => item(p.order)));
    for (const p of fresh) p.changed = true;
  }

  /** Sets a cancelled/refunded status on a placed order item; false when it was no longer placed. */
  private async markStatus(order: OrderInput): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { PK: contactPk(order.contactId), SK: orderSk(order.id) },
          UpdateExpression: "SET #status = :status, statusChangedAt = :now",
          ConditionExpression: "#status = :placed",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":status": order.status, ":placed": "placed", ":now": new Date(this.clock()).toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Counts the orders in the contact's summary: one UpdateItem per SUMMARY_GROUP_MAX orders, each
   * order conditional on being neither counted nor removed. When a group is refused, one read tells
   * which of its orders were already there; the rest try again.
   */
  private async countInSummary(contactId: string, counts: Pending[], read?: Summary): Promise<[Pending, NotCounted | undefined][]> {
    const results: [Pending, NotCounted | undefined][] = [];
    let todo = counts.filter((p) => p.stored === undefined);
    // Orders the store had are mostly re-sent ones, already counted: one read finds them, where a
    // refused write and then a read would take two requests. What the read does not find (a summary
    // write lost to a crash) is counted now.
    const resent = counts.filter((p) => p.stored !== undefined);
    if (resent.length > 0) {
      const summary = read ?? (await this.summaryOf(contactId, resent));
      for (const p of resent) {
        if (summary.counted.has(p.order.id)) results.push([p, "already-counted"]);
        else if (summary.removed.has(p.order.id)) results.push([p, "removed-before"]);
        else todo.push(p);
      }
    }
    for (let round = 0; todo.length > 0; round++) {
      if (round >= 10) throw new Error(`the summary of contact ${contactId} kept changing while orders were counted; sending them again is safe`);
      const retry: Pending[] = [];
      for (const group of chunks(todo, SUMMARY_GROUP_MAX)) {
        const names: Record<string, string> = {};
        const values: Record<string, unknown> = {};
        const set: string[] = [];
        const conditions: string[] = [];
        group.forEach((p, i) => {
          names[`#o${i}`] = COUNTED + p.order.id;
          names[`#x${i}`] = REMOVED + p.order.id;
          values[`:e${i}`] = { at: Date.parse(p.order.createdAt), total: p.order.total } satisfies SummaryEntry;
          set.push(`#o${i} = :e${i}`);
          conditions.push(`attribute_not_exists(#o${i}) AND attribute_not_exists(#x${i})`);
        });
        values[":count"] = group.length;
        values[":revenue"] = decimalSum(group.map((p) => p.order.total));
        try {
          await this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: { PK: contactPk(contactId), SK: PROFILE },
              UpdateExpression: `SET ${set.join(", ")} ADD orderCount :count, revenue :revenue`,
              ConditionExpression: conditions.join(" AND "),
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            }),
          );
          for (const p of group) results.push([p, undefined]);
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
          const summary = await this.summaryOf(contactId, group);
          for (const p of group) {
            if (summary.counted.has(p.order.id)) results.push([p, "already-counted"]);
            else if (summary.removed.has(p.order.id)) results.push([p, "removed-before"]);
            else retry.push(p);
          }
        }
      }
      todo = retry;
    }
    return results;
  }

  /**
   * Takes the orders out of the contact's summary and marks them removed. A counted order is removed
   * by an UpdateItem conditional on it still being there, with its stored total; one never counted
   * only gets the mark, conditional on it not having been counted meanwhile.
   */
  private async uncountInSummary(contactId: string, uncounts: Pending[], read?: Summary): Promise<Pending[]> {
    const now = this.clock();
    // A new order item means the order was never counted, and no other sender can count it from now
    // on (they find it stored as cancelled), so it needs no read.
    let unread = uncounts.filter((p) => p.stored === undefined);
    let todo = uncounts.filter((p) => p.stored !== undefined);
    for (let round = 0; todo.length + unread.length > 0; round++) {
      if (round >= 10) throw new Error(`the summary of contact ${contactId} kept changing while orders were removed; sending them again is safe`);
      const summary: Summary = todo.length === 0 ? { counted: new Map(), removed: new Set() } : round === 0 && read ? read : await this.summaryOf(contactId, todo);
      const toMark: Pending[] = [...unread];
      unread = [];
      await inParallel(todo, 4, async (p) => {
        const entry = summary.counted.get(p.order.id);
        if (entry) {
          if (await this.removeCounted(contactId, p.order.id, entry, now)) p.changed = true;
          // else: another sender removed it (and marked it) in between.
        } else if (!summary.removed.has(p.order.id)) toMark.push(p);
      });
      const retry: Pending[] = [];
      for (const group of chunks(toMark, SUMMARY_GROUP_MAX)) {
        const names: Record<string, string> = {};
        const set: string[] = [];
        const conditions: string[] = [];
        group.forEach((p, i) => {
          names[`#o${i}`] = COUNTED + p.order.id;
          names[`#x${i}`] = REMOVED + p.order.id;
          set.push(`#x${i} = if_not_exists(#x${i}, :now)`);
          conditions.push(`attribute_not_exists(#o${i})`);
        });
        try {
          await this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: { PK: contactPk(contactId), SK: PROFILE },
              UpdateExpression: `SET ${set.join(", ")}`,
              ConditionExpression: conditions.join(" AND "),
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: { ":now": now },
            }),
          );
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
          // Counted by another sender since the read: read again and remove it.
          retry.push(...group);
        }
      }
      todo = retry;
    }
    return uncounts;
  }

  /** Removes a counted order from the summary; false when it was no longer there. */
  private async removeCounted(contactId: string, orderId: string, entry: SummaryEntry, now: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { PK: contactPk(contactId), SK: PROFILE },
          UpdateExpression: "REMOVE #o SET #x = :now ADD orderCount :minusOne, revenue :minusTotal",
          // Entries are never overwritten (counting requires their absence and the mark keeps them from
          // coming back), so an entry still there is the one read, and its total is what to subtract.
          ConditionExpression: "attribute_exists(#o)",
          ExpressionAttributeNames: { "#o": COUNTED + orderId, "#x": REMOVED + orderId },
          ExpressionAttributeValues: { ":now": now, ":minusOne": -1, ":minusTotal": -entry.total },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** The summary's entries for these orders, read consistently. */
  private async summaryOf(contactId: string, pending: Pending[]): Promise<Summary> {
    const names: Record<string, string> = {};
    const projection: string[] = [];
    pending.forEach((p, i) => {
      names[`#o${i}`] = COUNTED + p.order.id;
      names[`#x${i}`] = REMOVED + p.order.id;
      projection.push(`#o${i}`, `#x${i}`);
    });
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { PK: contactPk(contactId), SK: PROFILE },
        ConsistentRead: true,
        ProjectionExpression: projection.join(", "),
        ExpressionAttributeNames: names,
      }),
    );
    return summaryIn(Item ?? {}, contactId);
  }

  // ---- e-mail events ----

  async recordEmailEvent(event: EmailEventInput): Promise<void> {
    // The time in UTC, so that events sort by time whatever offset they were sent with. The e-mail id
    // in the key keeps two e-mails opened in the same millisecond apart; the same event sent twice
    // lands on the same key, so a re-sent event is a no-op.
    const at = new Date(event.at).toISOString();
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          PK: contactPk(event.contactId),
          SK: `EVENT#${at}#${event.type}${event.emailId === undefined ? "" : `#${event.emailId}`}`,
          ...event,
          at,
        },
      }),
    );
  }

  // ---- nightly scoring ----

  /**
   * Every contact with at least one counted order, as histories, a scan page at a time. Segments
   * split the table for a parallel scan (a Distributed Map runs one per segment).
   */
  async *scanHistories(segment = 0, totalSegments = 1): AsyncIterable<ContactHistory[]> {
    for await (const items of this.scanProfiles(segment, totalSegments, true)) {
      const orders: Order[] = [];
      for (const item of items) collectOrders(item, orders);
      // One fold for the page: the same code the models are tested with (order-history.ts).
      const histories = contactHistories(orders, Number.POSITIVE_INFINITY);
      if (histories.length > 0) yield histories;
    }
  }

  async putScores(scores: readonly ContactScores[]): Promise<void> {
    const scoredAt = new Date(this.clock()).toISOString();
    await this.writeItems(scores.map((s) => ({ PK: contactPk(s.contactId), SK: SCORES, ...s, scoredAt })));
  }

  async getScores(contactId: string): Promise<StoredScores | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { PK: contactPk(contactId), SK: SCORES } }));
    if (!Item) return undefined;
    const { PK: _pk, SK: _sk, ...scores } = Item;
    return parseStored(StoredScoresItem, scores, `scores of contact ${contactId}`);
  }

  /** Profiles and scores of many contacts in BatchGetItem calls (100 keys each), for exports. */
  async getContactsWithScores(contactIds: readonly string[]): Promise<Map<string, { contact?: ContactRecord; scores?: StoredScores }>> {
    const found = new Map<string, { contact?: ContactRecord; scores?: StoredScores }>(contactIds.map((id) => [id, {}]));
    const keys = contactIds.flatMap((id) => [PROFILE, SCORES].map((SK) => ({ PK: contactPk(id), SK })));
    for (const item of await this.getItems(keys)) {
      const contactId = String(item.PK).slice("CONTACT#".length);
      const entry = found.get(contactId)!;
      if (item.SK === PROFILE) entry.contact = contactRecord(item);
      else {
        const { PK: _pk, SK: _sk, ...scores } = item;
        entry.scores = parseStored(StoredScoresItem, scores, `scores of contact ${contactId}`);
      }
    }
    return found;
  }

  /** Every contact's stored scores, a scan page at a time. */
  async *listScores(segment = 0, totalSegments = 1): AsyncIterable<ContactScores[]> {
    const scan = { ...scanSegment(segment, totalSegments), FilterExpression: "SK = :scores", ExpressionAttributeValues: { ":scores": SCORES } };
    for await (const items of this.pages("scan", scan)) yield items.map(({ PK: _pk, SK: _sk, scoredAt: _at, ...scores }) => scores as unknown as ContactScores);
  }

  // ---- the night's plan and contact states ----
  // The plan is kept as JSON text in the model run's item: RFM cutoffs may be Infinity, which
  // DynamoDB numbers cannot hold. `run` is the model run as a map too, for reading it elsewhere.

  async saveNightlyPlan(plan: NightlyPlan): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { PK: MODELRUN, SK: plan.runId, status: "scoring", plan: JSON.stringify(plan, infinityAsText), run: JSON.parse(JSON.stringify(plan.run)) },
      }),
    );
  }

  async getNightlyPlan(runId: string): Promise<NightlyPlan | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { PK: MODELRUN, SK: runId }, ConsistentRead: true }));
    return Item ? nightlyPlanOf(Item) : undefined;
  }

  async completeNightlyRun(runId: string, summary: NightlySummary): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { PK: MODELRUN, SK: runId },
        ConditionExpression: "attribute_exists(PK)",
        UpdateExpression: "SET #status = :complete, completedAt = :at, summary = :summary",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":complete": "complete", ":at": summary.completedAt, ":summary": JSON.parse(JSON.stringify(summary)) },
      }),
    );
  }

  /** The newest run that completed: the model a changed contact is rescored with. */
  async latestCompletedPlan(): Promise<NightlyPlan | undefined> {
    const item = await this.latestCompletedRunItem();
    return item && nightlyPlanOf(item);
  }

  /** The newest completed run's summary (segments' analytics, counts), for the command line and the report. */
  async latestNightlySummary(): Promise<NightlySummary | undefined> {
    const item = await this.latestCompletedRunItem();
    return item?.summary as NightlySummary | undefined;
  }

  private async latestCompletedRunItem(): Promise<Record<string, unknown> | undefined> {
    const query = {
      KeyConditionExpression: "PK = :pk",
      FilterExpression: "#status = :complete",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":pk": MODELRUN, ":complete": "complete" },
      ScanIndexForward: false,
    };
    for await (const items of this.pages("query", query)) return items[0];
    return undefined;
  }

  /**
   * A scan segment's contacts with everything the night reads of each: profile and order summary,
   * scores, memberships and e-mail events. A parallel scan splits the table by partition, so a
   * contact's items all fall in one segment.
   */
  async *scanContactStates(segment = 0, totalSegments = 1): AsyncIterable<ContactState[]> {
    const scan = {
      ...scanSegment(segment, totalSegments),
      FilterExpression: "SK IN (:profile, :scores, :memberships) OR begins_with(SK, :event)",
      ExpressionAttributeValues: { ":profile": PROFILE, ":scores": SCORES, ":memberships": MEMBERSHIPS, ":event": "EVENT#" },
    };
    // Items of one partition come together; a contact is yielded once the scan has moved past it.
    let open: Record<string, unknown>[] = [];
    let batch: ContactState[] = [];
    for await (const items of this.pages("scan", scan)) {
      for (const item of items) {
        if (open.length > 0 && open[0]!.PK !== item.PK) {
          batch.push(contactState(open));
          open = [];
        }
        open.push(item);
      }
      if (batch.length >= STATE_BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (open.length > 0) batch.push(contactState(open));
    if (batch.length > 0) yield batch;
  }

  /** The same states for a few contacts by id (a changed contact between nights). */
  async getContactStates(contactIds: readonly string[]): Promise<ContactState[]> {
    const items = await this.getItems(contactIds.flatMap((id) => [PROFILE, SCORES, MEMBERSHIPS].map((SK) => ({ PK: contactPk(id), SK }))));
    const byContact = new Map<string, Record<string, unknown>[]>(contactIds.map((id) => [contactPk(id), []]));
    for (const item of items) byContact.get(String(item.PK))!.push(item);
    await inParallel(contactIds, this.concurrency, async (id) => {
      const query = { KeyConditionExpression: "PK = :pk AND begins_with(SK, :event)", ExpressionAttributeValues: { ":pk": contactPk(id), ":event": "EVENT#" } };
      for await (const events of this.pages("query", query)) byContact.get(contactPk(id))!.push(...events);
    });
    return [...byContact.values()].filter((items) => items.length > 0).map(contactState);
  }

  async putContactMemberships(memberships: readonly ContactMemberships[]): Promise<void> {
    await this.writeItems(memberships.map((m) => ({ PK: contactPk(m.contactId), SK: MEMBERSHIPS, memberships: m.memberships })));
  }

  // ---- segments ----
  // Definitions share one partition, so listing them is a Query, never a scan of the table; members
  // live under SEGMENT#<id> (DESIGN.md), active ones with `active = true`.

  async putSegmentDefinition(definition: SegmentDefinition): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { PK: SEGMENTS, SK: `DEFINITION#${definition.id}`, definition, updatedAt: new Date(this.clock()).toISOString() } }),
    );
  }

  async listSegmentDefinitions(): Promise<SegmentDefinition[]> {
    const definitions: SegmentDefinition[] = [];
    const query = { KeyConditionExpression: "PK = :pk AND begins_with(SK, :definition)", ExpressionAttributeValues: { ":pk": SEGMENTS, ":definition": "DEFINITION#" } };
    for await (const items of this.pages("query", query)) for (const item of items) definitions.push(parseSegmentDefinition(item.definition));
    return definitions;
  }

  /** The segment's current members by contact id. */
  async activeSegmentMembers(segmentId: string): Promise<Map<string, Membership>> {
    const members = new Map<string, Membership>();
    const query = {
      KeyConditionExpression: "PK = :pk AND begins_with(SK, :contact)",
      FilterExpression: "active = :yes",
      ExpressionAttributeValues: { ":pk": `SEGMENT#${segmentId}`, ":contact": "CONTACT#", ":yes": true },
    };
    for await (const items of this.pages("query", query)) {
      for (const item of items) members.set(String(item.contactId), { contactId: String(item.contactId), enteredAt: String(item.enteredAt) });
    }
    return members;
  }

  /** Writes only what changed: entered members (active) and left ones (inactive, with leftAt). */
  async applyMembershipChanges(segmentId: string, changes: MembershipChanges): Promise<void> {
    const item = (m: Membership, active: boolean) => ({ PK: `SEGMENT#${segmentId}`, SK: contactPk(m.contactId), ...m, active });
    await this.writeItems([...changes.entered.map((m) => item(m, true)), ...changes.left.map((m) => item(m, false))]);
  }

  // ---- workflow enrolments (WORKFLOW#<id> / CONTACT#<id>) ----

  async getEnrolment(workflowId: string, contactId: string): Promise<Enrolment | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { PK: workflowPk(workflowId), SK: contactPk(contactId) }, ConsistentRead: true }));
    return Item && enrolmentOf(Item);
  }

  async putEnrolment(enrolment: Enrolment, replacing?: Pick<Enrolment, "enrolledAt">): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { PK: workflowPk(enrolment.workflowId), SK: contactPk(enrolment.contactId), ...enrolment },
          ...(replacing
            ? { ConditionExpression: "enrolledAt = :previous", ExpressionAttributeValues: { ":previous": replacing.enrolledAt } }
            : { ConditionExpression: "attribute_not_exists(PK)" }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === "ConditionalCheckFailedException") return false;
      throw error;
    }
  }

  async updateEnrolment(workflowId: string, contactId: string, fields: Partial<Omit<Enrolment, "workflowId" | "contactId">>): Promise<void> {
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { PK: workflowPk(workflowId), SK: contactPk(contactId) },
        // Only an enrolment that exists: a step of an execution whose record is gone writes nothing.
        ConditionExpression: "attribute_exists(PK)",
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(", ")}`,
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
      }),
    );
  }

  async *listEnrolments(workflowId: string): AsyncIterable<Enrolment[]> {
    const query = { KeyConditionExpression: "PK = :pk AND begins_with(SK, :contact)", ExpressionAttributeValues: { ":pk": workflowPk(workflowId), ":contact": "CONTACT#" } };
    for await (const items of this.pages("query", query)) yield items.map(enrolmentOf);
  }

  // ---- batches ----

  private async *scanProfiles(segment: number, totalSegments: number, withOrdersOnly: boolean): AsyncIterable<Record<string, unknown>[]> {
    yield* this.pages("scan", {
      ...scanSegment(segment, totalSegments),
      FilterExpression: withOrdersOnly ? "SK = :profile AND orderCount > :none" : "SK = :profile",
      ExpressionAttributeValues: { ":profile": PROFILE, ...(withOrdersOnly && { ":none": 0 }) },
    });
  }

  /** Every page of a Scan or a Query, following LastEvaluatedKey; empty pages (all filtered out) are skipped. */
  private async *pages(
    operation: "scan" | "query",
    input: Omit<ScanCommandInput & QueryCommandInput, "TableName" | "ExclusiveStartKey">,
  ): AsyncIterable<Record<string, unknown>[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const request = { TableName: this.tableName, ...input, ...(startKey && { ExclusiveStartKey: startKey }) };
      const page = await this.client.send(operation === "scan" ? new ScanCommand(request) : new QueryCommand(request));
      if (page.Items?.length) yield page.Items;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  private writeItems(items: readonly Record<string, unknown>[]): Promise<void> {
    return this.batches.writeItems(items);
  }

  private getItems(keys: readonly Record<string, string>[], attributes?: readonly string[]): Promise<Record<string, unknown>[]> {
    return this.batches.getItems(keys, attributes);
  }
}

/** Segment/TotalSegments of a parallel scan, checked: a wrong pair would silently skip contacts. */
function scanSegment(segment: number, totalSegments: number): { Segment?: number; TotalSegments?: number } {
  if (!Number.isInteger(totalSegments) || totalSegments < 1 || !Number.isInteger(segment) || segment < 0 || segment >= totalSegments) {
    throw new RangeError(`scan segment ${segment} of ${totalSegments}: expected 0 ≤ segment < totalSegments`);
  }
  return totalSegments > 1 ? { Segment: segment, TotalSegments: totalSegments } : {};
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

const StoredOrderItem = z.object({
  id: z.string(),
  contactId: z.string(),
  createdAt: z.string(),
  total: z.number(),
  currency: z.enum(currencies),
  status: z.enum(orderStatuses),
  receivedAt: z.string(),
  statusChangedAt: z.string().optional(),
});

const rfmScore = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)]);
const StoredScoresItem = z.object({
  contactId: z.string(),
  orderCount: z.number(),
  firstOrderAt: z.string(),
  lastOrderAt: z.string(),
  historicClv: z.number(),
  averageOrderValue: z.number(),
  averageDaysBetweenOrders: z.number().nullable(),
  predictedOrders12m: z.number().nullable(),
  predictedClv12m: z.number().nullable(),
  totalClv: z.number().nullable(),
  pAlive: z.number().nullable(),
  churnRisk: z.number().nullable(),
  churnBand: z.enum(["low", "medium", "high"]).nullable(),
  expectedNextOrderAt: z.string().nullable(),
  rfmRecency: rfmScore,
  rfmFrequency: rfmScore,
  rfmMonetary: rfmScore,
  rfmGroup: z.enum(rfmGroups),
  scoredAt: z.string(),
});

function parseStored<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`the stored ${what} is not what this code writes: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

const infinityAsText = (_key: string, value: unknown) => (value === Infinity ? "Infinity" : value === -Infinity ? "-Infinity" : value);
const textAsInfinity = (_key: string, value: unknown) => (value === "Infinity" ? Infinity : value === "-Infinity" ? -Infinity : value);

function nightlyPlanOf(item: Record<string, unknown>): NightlyPlan {
  return JSON.parse(String(item.plan), textAsInfinity) as NightlyPlan;
}

/** One contact's items (any of PROFILE, SCORES, MEMBERSHIPS, EVENT#…) as the night reads them. */
function contactState(items: readonly Record<string, unknown>[]): ContactState {
  const contactId = contactIdOf(String(items[0]!.PK));
  const state: ContactState = { contactId, memberships: {}, emailEvents: [] };
  const emailEvents: { type: EmailEventType; at: number; emailId?: string }[] = [];
  for (const item of items) {
    if (item.SK === PROFILE) {
      const record = contactRecord(item);
      if (record.profile) state.profile = record.profile;
      if (record.history) state.history = record.history;
    } else if (item.SK === SCORES) {
      const { PK: _pk, SK: _sk, scoredAt: _at, ...scores } = item;
      state.scores = scores as unknown as ContactScores;
    } else if (item.SK === MEMBERSHIPS) {
      state.memberships = (item.memberships ?? {}) as Record<string, string>;
    } else {
      emailEvents.push({ type: item.type as EmailEventType, at: Date.parse(String(item.at)), ...(typeof item.emailId === "string" && { emailId: item.emailId }) });
    }
  }
  state.emailEvents = emailEvents;
  return state;
}

/** The profile part of a PROFILE item; undefined when only orders created the item (no profile yet). */
function storedProfile(item: Record<string, unknown>): z.output<typeof StoredProfile> | undefined {
  if (item.updatedAt === undefined) return undefined;
  return parseStored(StoredProfile, item, `profile of contact ${contactIdOf(String(item.PK))}`);
}

function contactRecord(item: Record<string, unknown>): ContactRecord {
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

/** Appends the counted orders of a PROFILE item. */
function collectOrders(item: Record<string, unknown>, orders: Order[]): void {
  const contactId = contactIdOf(String(item.PK));
  for (const name in item) {
    if (!name.startsWith(COUNTED)) continue;
    const entry = summaryEntry(item[name], contactId, name);
    orders.push({ orderId: name.slice(COUNTED.length), contactId, createdAt: entry.at, total: entry.total });
  }
}

function summaryEntry(value: unknown, contactId: string, name: string): SummaryEntry {
  const entry = value as Partial<SummaryEntry> | undefined;
  if (typeof entry?.at !== "number" || typeof entry.total !== "number") {
    throw new Error(`the summary of contact ${contactId} has a bad entry ${name}: expected {at, total} numbers, got ${JSON.stringify(value)}`);
  }
  return entry as SummaryEntry;
}

function summaryIn(item: Record<string, unknown>, contactId: string): Summary {
  const counted = new Map<string, SummaryEntry>();
  const removed = new Set<string>();
  for (const name in item) {
    if (name.startsWith(COUNTED)) counted.set(name.slice(COUNTED.length), summaryEntry(item[name], contactId, name));
    else if (name.startsWith(REMOVED)) removed.add(name.slice(REMOVED.length));
  }
  return { counted, removed };
}

function statusIn(value: unknown): OrderStatus | undefined {
  if (typeof value === "string") return (orderStatuses as readonly string[]).includes(value) ? (value as OrderStatus) : undefined;
  const s = (value as AttributeValue | undefined)?.S; // the unmarshalled form a ConditionalCheckFailedException carries
  return s !== undefined ? statusIn(s) : undefined;
}

function isConditionFailed(error: unknown): error is Error & { Item?: Record<string, AttributeValue> } {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

// ---- numbers as DynamoDB adds them ----

/**
 * The exact decimal sum of the totals, for one ADD to `revenue`. DynamoDB adds in decimal; summing the
 * group in binary floating point first would leave revenue at 161.32000000000002 where adding the two
 * orders one by one gives 161.32, and a later refund of each would not bring it back to 0.
 */
export function decimalSum(values: readonly number[]): NumberValue {
  let scale = 0;
  const decimals = values.map((v) => {
    const d = decimalOf(v);
    scale = Math.max(scale, d.scale);
    return d;
  });
  let sum = 0n;
  for (const d of decimals) sum += d.digits * 10n ** BigInt(scale - d.scale);
  const negative = sum < 0n;
  const text = (negative ? -sum : sum).toString().padStart(scale + 1, "0");
  const whole = text.slice(0, text.length - scale);
  const fraction = text.slice(text.length - scale).replace(/0+$/, "");
  return NumberValue.from(`${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`);
}

/** A finite number as digits × 10^−scale, from its shortest decimal form (which is what gets stored). */
function decimalOf(value: number): { digits: bigint; scale: number } {
  const [mantissa = "0", exponent = "0"] = String(value).toLowerCase().split("e");
  const [whole = "0", fraction = ""] = mantissa.split(".");
  const scale = fraction.length - Number(exponent);
  const digits = BigInt(`${whole}${fraction}`);
  return scale >= 0 ? { digits, scale } : { digits: digits * 10n ** BigInt(-scale), scale: 0 };
}
