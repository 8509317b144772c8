import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { currencies, netTotal, orderStatuses, type OrderInput, type OrderStatus } from "../../domain/store/order.js";
import type { OrderOutcome } from "../../domain/store/ports.js";
import { CONTENDED_TRIES, countOutcome, orderStep, refundStep, uncountOutcome, type NotCounted, type RefundChange } from "../../domain/store/record-order.js";
import {
  SummaryPageAttribute,
  contactIdOf,
  contactPk,
  countedAttribute,
  orderClaimKey,
  orderClaimSlot,
  ORDER_CLAIMS_VERSION,
  orderKey,
  orderSk,
  orderSummaryKey,
  profileKey,
  removedAttribute,
  summaryPageKey,
  summaryPageOf,
} from "../../domain/store/table-keys.js";
import { OrderConflictError, orderDifferences, type OrderDifference, type OrderFacts } from "../../domain/store/order-conflict.js";
import { SEALED_PAGE_ENTRIES, SUMMARY_PAGE_ENTRIES, decimalSum, orderEntry, spilledPages, summaryIn, summaryValue, type PagedEntry, type Summary } from "./order-summary.js";
import { chunks, inParallel } from "./table-batches.js";
import { isConditionFailed, isItemTooLarge, parseStored, withoutKey, type StoreTable } from "./table.js";

/*
 * ORDERIDS#… / CLAIMS (orderClaimKey): each order id's claim, store-wide, with the facts that tell a
 * re-sent order from another one (contact, total, currency, date). Under the contact's partition: ORDER#<orderId>,
 * the order as sent with its current status, and the order summary in PROFILE (order-summary.ts),
 * kept by conditional UpdateItems (a contact new to the store gets its PROFILE by one conditional PutItem).
 *
 * The claim is written first, conditionally, so an id is counted for one contact only. With no
 * transactions, a crash after the claim and before the contact's writes leaves the claim alone; the
 * order sent again finds its own facts in it and finishes the contact's writes, each of which is safe
 * to repeat. An order sent under a claimed id with other facts is a conflict, and nothing is written.
 */

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
/**
 * Claims of one claim item written by one UpdateItem: each adds 31 characters to the 4 KB condition, so
 * a hundred sequential ids (what a claim item holds by its last two digits) take one request.
 */
const CLAIM_GROUP_MAX = 100;
/**
 * Orders of one contact whose entries are read from every summary page by projection (a few bytes a
 * page) rather than whole pages: each names two attributes, and a projection may have 4 KB.
 */
const PROJECTED_ORDERS_MAX = 100;

export interface StoredOrder extends OrderInput {
  receivedAt: string;
  /** When a cancellation or refund changed the status of a placed order. */
  statusChangedAt?: string;
  /** When a larger refund to date was last recorded on the order (refundedAmount). */
  refundedAt?: string;
}

/** An order on its way through recordOrders. */
interface Pending {
  order: OrderInput;
  /** Its place in the caller's array, for the outcome. A refund of another contact's order carries that contact here. */
  index: number;
  /** Status the store had before this call; undefined: the order is new. */
  stored?: OrderStatus;
  /** This call changed something about the order (stored it, changed its status, took it out of the figures). */
  changed: boolean;
  /** How it differs from the order the store has under its id: then nothing of it is written. */
  conflict?: OrderDifference[];
  /** Other senders kept changing what it had to change through CONTENDED_TRIES tries: it is left to be sent again. */
  contended?: boolean;
  /** This call wrote the id's claim: no sender had the id before it. */
  fresh?: boolean;
  /** The refund to date of the order item the store had (refundedAmount), 0 for none. */
  storedRefunded?: number;
  /** Of a `refunded` or `late-refund` outcome: the refund to date the summary had, and the one sent. */
  refund?: RefundChange;
}

/**
 * What one call knows of a contact's summary pages (order-summary.ts): the page new entries go to, and
 * entries read. Every page before `open` was sealed when read and `known` holds all it had then; a
 * sealed page takes no entry afterwards, so an order absent from it there stays absent. (A state with
 * `open` 0 may know only the entries of some orders: nothing comes before page 0.)
 */
interface SummaryState {
  open: number;
  known: Summary;
}

const { entries: ENTRIES, sealed: SEALED, pages: PAGES } = SummaryPageAttribute;
const emptySummary = (): Summary => ({ counted: new Map(), removed: new Set() });

/** How adding entries to a summary page went: refused by a condition, or too large for DynamoDB's 400 KB. */
type PageWrite = "written" | "refused" | "too-large";

/** Orders and the contacts' order summaries. */
export class OrderItems {
  constructor(private readonly table: StoreTable) {}

  async recordOrder(order: OrderInput, refund?: RefundChange): Promise<OrderOutcome> {
    const conflicts = new Map<number, OrderDifference[]>();
    const refunds = new Map<number, RefundChange>();
    const [outcome] = await this.recordOrders([order], conflicts, refunds);
    if (outcome === "conflict") throw new OrderConflictError(order.id, conflicts.get(0)!);
    if (refund && refunds.has(0)) Object.assign(refund, refunds.get(0));
    return outcome!;
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
  async recordOrders(orders: readonly OrderInput[], conflicts?: Map<number, OrderDifference[]>, refunds?: Map<number, RefundChange>): Promise<OrderOutcome[]> {
    const outcomes: OrderOutcome[] = new Array(orders.length);
    const seen = new Set<string>();
    const first: Pending[] = [];
    const again: Pending[] = [];
    // An id is one order store-wide: the same id twice in a call (for one contact or two) is the later sending.
    orders.forEach((order, index) => {
      (seen.has(order.id) ? again : first).push({ order, index, changed: false });
      seen.add(order.id);
    });
    await this.recordDistinct(first, outcomes, conflicts);
    for (const pending of again) await this.recordDistinct([pending], outcomes, conflicts);
    if (refunds) for (const p of [...first, ...again]) if (p.refund) refunds.set(p.index, p.refund);
    return outcomes;
  }

  /** The order as stored, with its current status. */
  async getOrder(contactId: string, orderId: string): Promise<StoredOrder | undefined> {
    const item = await this.table.get(orderKey(contactId, orderId));
    if (!item) return undefined;
    return parseStored(StoredOrderItem, withoutKey(item), `order ${orderId} of contact ${contactId}`);
  }

  private async recordDistinct(all: Pending[], outcomes: OrderOutcome[], conflicts?: Map<number, OrderDifference[]>): Promise<void> {
    if (all.length === 0) return;
    // A few orders (the HTTP API's one): the open summary page of each contact is read with the claims,
    // before the order items are written (newOrderPages says why that order matters).
    const [, opened] = await Promise.all([this.claimOrderIds(all), all.length < BATCH_ORDERS_MIN ? this.newOrderPages(all) : undefined]);
    // An id whose claim kept changing is not claimed: nothing of it is written.
    const claimed = all.filter((p) => {
      if (!p.contended) return true;
      outcomes[p.index] = "contended";
      return false;
    });
    await this.writeOrderItems(claimed.filter((p) => !p.conflict));
    // An id the store has for another order (another contact, total, currency or date): nothing of it is written.
    const pending = claimed.filter((p) => {
      if (!p.conflict) return true;
      outcomes[p.index] = "conflict";
      conflicts?.set(p.index, p.conflict);
      return false;
    });
    // A cancellation or refund of a placed order changes the order item's status first, so that a
    // re-sent "placed" read from it from then on is kept out of the figures.
    await inParallel(pending, this.table.concurrency, async (p) => {
      const step = orderStep(p.stored, p.order.status);
      if (step.kind === "uncount" && step.markStatus && (await this.markOrder(p.order, "status"))) p.changed = true;
      // A larger refund to date goes on the order item first too, as it is shown; the figures follow it from the summary's own entry.
      if (step.kind === "count" && p.stored === "placed" && (p.order.refundedAmount ?? 0) > (p.storedRefunded ?? 0)) await this.markOrder(p.order, "refund");
    });
    const byContact = new Map<string, { counts: Pending[]; uncounts: Pending[] }>();
    for (const p of pending) {
      let contact = byContact.get(p.order.contactId);
      if (!contact) byContact.set(p.order.contactId, (contact = { counts: [], uncounts: [] }));
      (orderStep(p.stored, p.order.status).kind === "count" ? contact.counts : contact.uncounts).push(p);
    }
    const read = await this.readSummaries([...byContact].filter(([, c]) => [...c.counts, ...c.uncounts].some((p) => p.stored !== undefined)).map(([id]) => id), pending.length);
    const unknown = await this.unknownContacts(
      [...byContact].filter(([id, c]) => !read.has(id) && c.uncounts.length === 0 && c.counts.length <= SUMMARY_PAGE_ENTRIES && c.counts.every((p) => p.stored === undefined)).map(([id]) => id),
      pending.length,
    );
    await inParallel([...byContact], this.table.concurrency, async ([contactId, { counts, uncounts }]) => {
      if (unknown.has(contactId) && (await this.putFirstPage(contactId, counts))) {
        for (const p of counts) outcomes[p.index] = "recorded";
        return;
      }
      const summary = read.get(contactId);
      // Orders new to the whole store since newOrderPages read: only its open page and PROFILE can hold them.
      const fresh = counts.length > 0 && counts.every((p) => p.fresh && p.stored === undefined) ? opened?.get(contactId) : undefined;
      for (const [p, notCounted] of await this.countInSummary(contactId, counts, summary ?? fresh)) outcomes[p.index] = countOutcome(notCounted);
      for (const p of await this.uncountInSummary(contactId, uncounts, summary)) outcomes[p.index] = p.contended ? "contended" : uncountOutcome(p.changed);
    });
  }

  /**
   * Of these contacts, those the store has no PROFILE item for, read in one BatchGetItem per 100
   * (keys only) when the call is a batch: a new store's import is mostly new contacts.
   */
  private async unknownContacts(contactIds: string[], orders: number): Promise<Set<string>> {
    if (orders < BATCH_ORDERS_MIN || contactIds.length === 0) return new Set();
    const unknown = new Set(contactIds);
    for (const item of await this.table.getItems(contactIds.map(profileKey), ["PK"])) unknown.delete(contactIdOf(String(item.PK)));
    return unknown;
  }

  /**
   * Writes the PROFILE item of a contact the store did not have, with these new orders counted in it,
   * by one PutItem conditional on the item still not being there: no page of its summary then holds
   * anything, so none of them is counted twice. A PutItem is far cheaper to check than an UpdateItem
   * with a condition per order. False when the item appeared meanwhile (another order, a profile):
   * then they are counted the usual way.
   */
  private async putFirstPage(contactId: string, counts: readonly Pending[]): Promise<boolean> {
    const item: Record<string, unknown> = {
      ...profileKey(contactId),
      [ENTRIES]: counts.length,
      // A credit note (negative total) lowers revenue but is no order, as addToPage counts it.
      orderCount: counts.filter((p) => p.order.total >= 0).length,
      revenue: decimalSum(counts.map((p) => netTotal(p.order))),
    };
    for (const p of counts) item[countedAttribute(p.order.id)] = summaryValue(orderEntry(p.order));
    try {
      await this.table.client.send(new PutCommand({ TableName: this.table.tableName, Item: item, ConditionExpression: "attribute_not_exists(PK)" }));
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * The summaries of contacts whose orders the store had already (re-sent orders, refunds), read in
   * one BatchGetItem per 100 contacts when the call is a batch. The reads are hints that spare
   * refused writes: every write that follows is still conditional.
   */
  private async readSummaries(contactIds: string[], orders: number): Promise<Map<string, SummaryState>> {
    const summaries = new Map<string, SummaryState>();
    if (orders < BATCH_ORDERS_MIN || contactIds.length === 0) return summaries;
    for (const id of contactIds) summaries.set(id, { open: 0, known: emptySummary() });
    const spilled: string[] = [];
    for (const item of await this.table.getItems(contactIds.map(profileKey))) {
      const contactId = contactIdOf(String(item.PK));
      if (item[SEALED] === true) spilled.push(contactId);
      else summaries.set(contactId, { open: 0, known: summaryIn(item, contactId) });
    }
    // A contact past its first page: all its pages, read whole.
    await inParallel(spilled, this.table.concurrency, async (contactId) => void summaries.set(contactId, await this.loadSummary(contactId)));
    return summaries;
  }

  /**
   * For each contact of these orders, PROFILE's summaryPages and its entries for them, read before
   * their order items are written: the state for counting orders whose claim and order item this call
   * then writes (`fresh`, stored undefined), without reading the contact's sealed pages.
   *
   * Why that is exact: every page before summaryPages was sealed when it was read, and takes no entry
   * after. Another sender counts an order only once it holds the id's claim and the order item exists;
   * when this call writes both, anyone else counting the order does so after this read, so in the page
   * open then or a later one, where the conditions of this call's writes (and its reads of those pages)
   * find it. PROFILE's entries are read too: a summary written before claims existed (a first load,
   * which writes no order items) had no pages but PROFILE.
   */
  private async newOrderPages(pending: readonly Pending[]): Promise<Map<string, SummaryState>> {
    const byContact = new Map<string, Pending[]>();
    for (const p of pending) if (p.order.status === "placed") byContact.set(p.order.contactId, [...(byContact.get(p.order.contactId) ?? []), p]);
    const states = new Map<string, SummaryState>();
    await inParallel([...byContact], this.table.concurrency, async ([contactId, orders]) => {
      const item = await this.readPage(contactId, 0, orders, [PAGES]);
      states.set(contactId, { open: spilledPages(item), known: summaryIn(item, contactId) });
    });
    return states;
  }

  /**
   * Claims each order's id store-wide, or finds the claim there: the same facts are the same order (sent
   * again, or finishing what a crash cut short); other facts are a conflict. A cancellation or refund
   * names the order by its id, so it goes to the contact whose order it is.
   *
   * Ids sharing a claim item (orderClaimKey) are claimed together. From BATCH_ORDERS_MIN orders, one
   * BatchGetItem per 100 items first finds the claims already there; an item read (or found missing)
   * is then put back whole with the new claims, conditional on its version (ORDER_CLAIMS_VERSION) being
   * the one read, or on there being none: one short condition, where a condition per slot makes a
   * hundred sequential ids a 6 KB expression that the database parses for each item. Otherwise (a few
   * orders, or an item written before it had a version) an UpdateItem sets the slots, conditional on
   * each being free. Both add one to the version. When a write is refused, the group's slots are read:
   * the claims made meanwhile are found, and the rest try again by UpdateItem.
   */
  private async claimOrderIds(pending: Pending[]): Promise<void> {
    const claimedAt = this.table.nowIso();
    let todo = pending;
    /** Claim items as last read, whole; undefined: read and not there. */
    const read = new Map<string, Record<string, unknown> | undefined>();
    if (pending.length >= BATCH_ORDERS_MIN) {
      const keys = new Map(pending.map((p) => [orderClaimKey(p.order.id).PK, orderClaimKey(p.order.id)]));
      for (const pk of keys.keys()) read.set(pk, undefined);
      for (const item of await this.table.getItems([...keys.values()])) read.set(String(item.PK), item);
      todo = pending.filter((p) => !foundClaim(p, read.get(orderClaimKey(p.order.id).PK)));
    }
    for (let round = 0; todo.length > 0; round++) {
      if (round >= CONTENDED_TRIES) {
        for (const p of todo) p.contended = true;
        return;
      }
      const byItem = new Map<string, Pending[]>();
      for (const p of todo) {
        const pk = orderClaimKey(p.order.id).PK;
        byItem.set(pk, [...(byItem.get(pk) ?? []), p]);
      }
      const retry: Pending[] = [];
      await inParallel([...byItem], this.table.concurrency, async ([pk, group]) => {
        const item = read.get(pk);
        const versioned = read.has(pk) && (item === undefined || typeof item[ORDER_CLAIMS_VERSION] === "number");
        const groups = versioned ? [group] : chunks(group, CLAIM_GROUP_MAX);
        for (const claims of groups) {
          if (await (versioned ? this.putClaims(claims, item, claimedAt) : this.addClaims(claims, claimedAt))) {
            for (const p of claims) p.fresh = true;
            continue;
          }
          // Claimed meanwhile, some of them or others of the item: their slots tell which. The rest try again
          // slot by slot, which only another claim of the same id refuses (other senders of sequential ids
          // change the item's version all the time).
          const now = await this.claimSlots(claims);
          for (const p of claims) if (!foundClaim(p, now)) retry.push(p);
          if (!versioned) continue;
          read.delete(pk);
          break;
        }
      });
      todo = retry;
    }
  }

  /** Puts the claim item back whole with these claims added and its version one up, conditional on it being as read; false when it was not. */
  private async putClaims(claims: readonly Pending[], item: Record<string, unknown> | undefined, claimedAt: string): Promise<boolean> {
    const version = item?.[ORDER_CLAIMS_VERSION] as number | undefined;
    const next: Record<string, unknown> = { ...(item ?? orderClaimKey(claims[0]!.order.id)), [ORDER_CLAIMS_VERSION]: (version ?? 0) + 1 };
    for (const p of claims) next[orderClaimSlot(p.order.id)] = orderClaim(p.order, claimedAt);
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: next,
          ...(version === undefined
            ? { ConditionExpression: "attribute_not_exists(PK)" }
            : { ConditionExpression: "#v = :v", ExpressionAttributeNames: { "#v": ORDER_CLAIMS_VERSION }, ExpressionAttributeValues: { ":v": version } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** The slots of these claims in their claim item, read consistently. */
  private async claimSlots(claims: readonly Pending[]): Promise<Record<string, unknown> | undefined> {
    const names = Object.fromEntries(claims.map((p, i) => [`#c${i}`, orderClaimSlot(p.order.id)]));
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: orderClaimKey(claims[0]!.order.id), ConsistentRead: true, ProjectionExpression: Object.keys(names).join(", "), ExpressionAttributeNames: names }),
    );
    return Item;
  }

  /** Sets these claims' slots in their claim item, each conditional on being free, and adds one to its version; false when one was not free. */
  private async addClaims(claims: readonly Pending[], claimedAt: string): Promise<boolean> {
    const names: Record<string, string> = { "#v": ORDER_CLAIMS_VERSION };
    const values: Record<string, unknown> = { ":one": 1 };
    const set: string[] = [];
    const conditions: string[] = [];
    claims.forEach((p, i) => {
      names[`#c${i}`] = orderClaimSlot(p.order.id);
      values[`:c${i}`] = orderClaim(p.order, claimedAt);
      set.push(`#c${i} = :c${i}`);
      conditions.push(`attribute_not_exists(#c${i})`);
    });
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: orderClaimKey(claims[0]!.order.id),
          UpdateExpression: `SET ${set.join(", ")} ADD #v :one`,
          ConditionExpression: conditions.join(" AND "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** Writes the order items of new orders, and sets `stored` on each order the store already had. */
  private async writeOrderItems(pending: Pending[]): Promise<void> {
    const receivedAt = this.table.nowIso();
    const item = (order: OrderInput) => ({ ...orderKey(order.contactId, order.id), ...order, receivedAt });
    if (pending.length < BATCH_ORDERS_MIN) {
      await inParallel(pending, this.table.concurrency, async (p) => {
        try {
          await this.table.client.send(
            new PutCommand({
              TableName: this.table.tableName,
              Item: item(p.order),
              ConditionExpression: "attribute_not_exists(PK)",
              // DynamoDB hands back the stored order with the failure, sparing a read; dynalite does not.
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            }),
          );
          p.changed = true;
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
          // The stored order, to tell a re-sent order from another one under the same id.
          const stored = await this.getOrder(p.order.contactId, p.order.id);
          p.stored = stored?.status ?? statusIn(error.Item?.status) ?? "placed";
          p.storedRefunded = stored ? (stored.refundedAmount ?? 0) : undefined;
          const differences = stored ? orderDifferences(stored, p.order) : [];
          if (differences.length > 0) p.conflict = differences;
        }
      });
      return;
    }
    const stored = await this.table.getItems(
      pending.map((p) => orderKey(p.order.contactId, p.order.id)),
      ["PK", "SK", "status", "contactId", "total", "currency", "createdAt", "originalTotal", "originalCurrency", "refundedAmount"],
    );
    const byKey = new Map(stored.map((s) => [`${s.PK as string}|${s.SK as string}`, s]));
    const fresh: Pending[] = [];
    for (const p of pending) {
      const item = byKey.get(`${contactPk(p.order.contactId)}|${orderSk(p.order.id)}`);
      if (!item) {
        fresh.push(p);
        continue;
      }
      p.stored = statusIn(item.status) ?? "placed";
      p.storedRefunded = typeof item.refundedAmount === "number" ? item.refundedAmount : 0;
      const differences = orderDifferences(item as unknown as OrderFacts, p.order);
      if (differences.length > 0) p.conflict = differences;
    }
    await this.table.writeItems(fresh.map((p) => item(p.order)));
    for (const p of fresh) p.changed = true;
  }

  /**
   * On a placed order item: sets a cancelled/refunded status (`status`), or a larger refund to date
   * (`refund`, conditional on the item's being smaller, so the larger of two racing sends stays; the
   * figures do not depend on it, the summary entry has its own). Either writes the refund to date sent.
   * False when the item was no longer placed, or had that refund already.
   */
  private async markOrder(order: OrderInput, change: "status" | "refund"): Promise<boolean> {
    const refunded = refundAttributes(order);
    const status = change === "status";
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: orderKey(order.contactId, order.id),
          UpdateExpression: [status ? "SET #status = :status, statusChangedAt = :now" : "SET refundedAt = :now", ...refunded.set].join(", "),
          ConditionExpression: status ? "#status = :placed" : "#status = :placed AND (attribute_not_exists(refundedAmount) OR refundedAmount < :refundedAmount)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":placed": "placed", ":now": this.table.nowIso(), ...(status && { ":status": order.status }), ...refunded.values },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Counts the orders in the contact's summary: one UpdateItem per SUMMARY_GROUP_MAX orders into its
   * open page, each order conditional on being neither counted nor removed there, and on the page
   * being open. When a group is refused, one read of the page tells which of its orders were already
   * there, and whether the page is full (then it is sealed and the next page opens); the rest try again.
   */
  private async countInSummary(contactId: string, counts: Pending[], read?: SummaryState): Promise<[Pending, NotCounted | undefined][]> {
    const results: [Pending, NotCounted | undefined][] = [];
    let state = read;
    let todo = counts.filter((p) => p.stored === undefined);
    // Orders the store had are mostly re-sent ones, already counted: one read finds them, where a
    // refused write and then a read would take two requests. What the read does not find (a summary
    // write lost to a crash) is counted now.
    const resent = counts.filter((p) => p.stored !== undefined);
    if (resent.length > 0) {
      todo = [...todo, ...resent];
      state ??= await this.summaryOf(contactId, todo);
    }
    /** Counted orders sent with a larger refund to date than their entry has, with the entry. */
    const refunds: [Pending, PagedEntry][] = [];
    /** Takes out of `group` the orders `summary` has, with why they are not counted. */
    const known = (group: Pending[], summary: Summary): Pending[] =>
      group.filter((p) => {
        const key = orderSummaryKey(p.order.id);
        const entry = summary.counted.get(key);
        if (entry) {
          const step = refundStep(entry.refunded ?? 0, p.order.refundedAmount);
          if (step === "refund") refunds.push([p, entry]);
          else if (step === "late") {
            p.refund = { stored: entry.refunded ?? 0, sent: p.order.refundedAmount! };
            results.push([p, "late-refund"]);
          } else results.push([p, "already-counted"]);
        } else if (summary.removed.has(key)) results.push([p, "removed-before"]);
        else return true;
        return false;
      });
    for (const group of chunks(todo, SUMMARY_GROUP_MAX)) {
      let rest = group;
      for (let round = 0; ; round++) {
        if (state) rest = known(rest, state.known);
        if (rest.length === 0) break;
        if (round >= CONTENDED_TRIES) {
          // Other senders won every try: these orders are stored and claimed, and counted when sent again.
          for (const p of rest) results.push([p, "contended"]);
          break;
        }
        const page = state?.open ?? 0;
        const written = await this.addToPage(contactId, page, rest, "count");
        if (written === "written") {
          for (const p of rest) results.push([p, undefined]);
          break;
        }
        let sealed = false;
        if (written === "refused") {
          const item = await this.readPage(contactId, page, rest);
          rest = known(rest, summaryIn(item, contactId, page));
          if (!isFull(item, rest.length)) continue;
          sealed = item[SEALED] === true;
        }
        state = await this.nextPage(contactId, page, state, todo, sealed);
      }
    }
    await inParallel(refunds, 4, async ([p, entry]) => {
      results.push([p, await this.refundInSummary(contactId, p, entry)]);
    });
    return results;
  }

  /**
   * Lowers a counted order's entry to its net total after the larger refund to date sent, and the
   * page's revenue by the difference, in one UpdateItem conditional on the entry's refund to date
   * being the one read: of concurrent sends, each difference is taken once (a send that finds the
   * entry moved on reads it again and takes only what is left, or nothing). `refunded` when it lowered
   * the revenue; otherwise what the entry read again says.
   */
  private async refundInSummary(contactId: string, p: Pending, read: PagedEntry): Promise<NotCounted> {
    const sent = p.order.refundedAmount!;
    const key = orderSummaryKey(p.order.id);
    let entry: PagedEntry | undefined = read;
    for (let round = 0; round < CONTENDED_TRIES; round++) {
      if (!entry) {
        const summary = (await this.summaryOf(contactId, [p])).known;
        entry = summary.counted.get(key);
        // Taken out of the figures meanwhile (cancelled, refunded whole): nothing is left to refund.
        if (!entry) return summary.removed.has(key) ? "removed-before" : "contended";
      }
      const stored = entry.refunded ?? 0;
      const step = refundStep(stored, sent);
      if (step === "same") return "already-counted";
      if (step === "late") {
        p.refund = { stored, sent };
        return "late-refund";
      }
      const net = netTotal(p.order);
      try {
        await this.table.client.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: summaryPageKey(contactId, entry.page),
            UpdateExpression: "SET #o = :entry ADD revenue :change",
            ConditionExpression: stored > 0 ? "#o[2] = :stored" : "attribute_exists(#o) AND attribute_not_exists(#o[2])",
            ExpressionAttributeNames: { "#o": countedAttribute(p.order.id) },
            ExpressionAttributeValues: {
              ":entry": summaryValue({ at: entry.at, total: net, refunded: sent }),
              // Exact decimals, as every change of revenue: the new net less the net counted so far.
              ":change": decimalSum([net, -entry.total]),
              ...(stored > 0 && { ":stored": stored }),
            },
          }),
        );
        p.changed = true;
        p.refund = { stored, sent };
        return "refunded";
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        entry = undefined; // another send refunded it (or took it out) first: read it again
      }
    }
    return "contended";
  }

  /**
   * Takes the orders out of the contact's summary and marks them removed. A counted order is removed
   * from its page by an UpdateItem conditional on it still being there, with its stored total; one
   * never counted only gets the mark in the open page, conditional on it not having been counted there
   * meanwhile (pages before the open one are sealed: nothing is counted there any more).
   */
  private async uncountInSummary(contactId: string, uncounts: Pending[], read?: SummaryState): Promise<Pending[]> {
    const now = this.table.clock();
    // A new order item means the order was never counted, and no other sender can count it from now
    // on (they find it stored as cancelled), so it needs no read.
    let unread = uncounts.filter((p) => p.stored === undefined);
    let todo = uncounts.filter((p) => p.stored !== undefined);
    let state = read;
    for (let round = 0; todo.length + unread.length > 0; round++) {
      if (round >= CONTENDED_TRIES) {
        // Other senders won every try: the order items have their status, and sending these again finishes the removal.
        for (const p of [...todo, ...unread]) p.contended = true;
        break;
      }
      if (todo.length > 0 && !(round === 0 && read)) state = await this.summaryOf(contactId, todo);
      const summary = state?.known ?? emptySummary();
      const toMark: Pending[] = [...unread];
      unread = [];
      const retry: Pending[] = [];
      await inParallel(todo, 4, async (p) => {
        const entry = summary.counted.get(orderSummaryKey(p.order.id));
        if (entry) {
          if (await this.removeCounted(contactId, p.order.id, entry, now)) p.changed = true;
          // Another sender removed it (and marked it), or refunded part of it, in between: read it again.
          else retry.push(p);
        } else if (!summary.removed.has(orderSummaryKey(p.order.id))) toMark.push(p);
      });
      for (const group of chunks(toMark, SUMMARY_GROUP_MAX)) {
        const page = state?.open ?? 0;
        const written = await this.addToPage(contactId, page, group, "mark", now);
        if (written === "written") {
          for (const p of group) p.changed = true;
          continue;
        }
        // Counted by another sender since the read, or the page is full: read again, and remove it or mark it in the next page.
        if (written === "too-large" || isFull(await this.readPage(contactId, page, group), group.length)) state = await this.nextPage(contactId, page, state, uncounts);
        retry.push(...group);
      }
      todo = retry;
    }
    return uncounts;
  }

  /**
   * Adds entries to one page of the contact's summary in one UpdateItem: counted orders (with the
   * page's counters) or removal marks, with how many entries the page has had, conditional on the page
   * having room for them (a sealed page has none) and on no order of the group being there already (counted or marked;
   * a mark only minds a counted entry: marking twice is marking once).
   */
  private async addToPage(contactId: string, page: number, group: Pending[], kind: "count" | "mark", now = 0): Promise<PageWrite> {
    const names: Record<string, string> = { "#entries": ENTRIES };
    const values: Record<string, unknown> = { ":entries": group.length, ":room": SUMMARY_PAGE_ENTRIES - group.length };
    const set: string[] = [];
    // Room for the group; a page without the attribute has it (a comparison with a missing attribute is
    // false), and a sealed one never (its count is past the limit): one short condition for both, as
    // every order's write carries it.
    const conditions = ["NOT #entries > :room"];
    group.forEach((p, i) => {
      names[`#o${i}`] = countedAttribute(p.order.id);
      names[`#x${i}`] = removedAttribute(p.order.id);
      if (kind === "count") {
        values[`:e${i}`] = summaryValue(orderEntry(p.order));
        set.push(`#o${i} = :e${i}`);
        conditions.push(`attribute_not_exists(#o${i}) AND attribute_not_exists(#x${i})`);
      } else {
        set.push(`#x${i} = if_not_exists(#x${i}, :now)`);
        conditions.push(`attribute_not_exists(#o${i})`);
      }
    });
    let add = "#entries :entries";
    if (kind === "count") {
      // A credit note (negative total) lowers revenue but is no order: it does not count as one.
      values[":count"] = group.filter((p) => p.order.total >= 0).length;
      values[":revenue"] = decimalSum(group.map((p) => netTotal(p.order)));
      add += ", orderCount :count, revenue :revenue";
    } else values[":now"] = now;
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: summaryPageKey(contactId, page),
          UpdateExpression: `SET ${set.join(", ")} ADD ${add}`,
          ConditionExpression: conditions.join(" AND "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return "written";
    } catch (error) {
      // A page that would pass 400 KB (a PROFILE item written before pages were counted) is full.
      if (isItemTooLarge(error)) return "too-large";
      if (isConditionFailed(error)) return "refused";
      throw error;
    }
  }

  /**
   * Seals the page (it takes no entry from now on, whoever writes: its count is set past the limit
   * that every addition's condition checks; a page read as sealed is not written again) and reads on
   * from it: what it and any later pages hold of `orders`, and the first page still open, which
   * PROFILE's summaryPages then covers.
   */
  private async nextPage(contactId: string, page: number, state: SummaryState | undefined, orders: readonly Pending[], sealed = false): Promise<SummaryState> {
    if (!sealed) {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: summaryPageKey(contactId, page),
          UpdateExpression: "SET #sealed = :sealed, #entries = :full",
          ExpressionAttributeNames: { "#sealed": SEALED, "#entries": ENTRIES },
          ExpressionAttributeValues: { ":sealed": true, ":full": SEALED_PAGE_ENTRIES },
        }),
      );
    }
    return this.loadSummary(contactId, orders, state && state.open === page ? state : undefined);
  }

  /**
   * The contact's summary pages read consistently, from `from.open` on (from page 0 without `from`),
   * added to what `from` knew: the state with the first page not sealed as the open one. Given up to
   * PROJECTED_ORDERS_MAX `orders`, only their entries are read from each page (a 25,000-order contact's
   * pages are some 1 MB whole); the state then knows only those orders, which is all its caller asks
   * it. When every page is sealed, the next one is announced in PROFILE's summaryPages before anything
   * is written to it, so a reader that follows summaryPages finds every page that holds entries.
   */
  private async loadSummary(contactId: string, orders?: readonly Pending[], from?: SummaryState): Promise<SummaryState> {
    const start = from?.open ?? 0;
    const known = from?.known ?? emptySummary();
    const projected = orders !== undefined && orders.length <= PROJECTED_ORDERS_MAX;
    const profile = start > 0 || projected ? await this.readPage(contactId, 0, start > 0 || !orders ? [] : orders, [PAGES]) : await this.table.get(profileKey(contactId));
    const last = spilledPages(profile);
    const pages = new Map<number, Record<string, unknown>>();
    if (start === 0 && profile) pages.set(0, profile);
    const keys = Array.from({ length: Math.max(0, last - Math.max(start, 1) + 1) }, (_, i) => summaryPageKey(contactId, Math.max(start, 1) + i));
    const attributes = projected ? ["SK", ENTRIES, SEALED, ...orders!.flatMap((p) => [countedAttribute(p.order.id), removedAttribute(p.order.id)])] : undefined;
    for (const item of await this.table.getItems(keys, attributes)) pages.set(summaryPageOf(String(item.SK))!, item);
    for (const [page, item] of pages) summaryIn(item, contactId, page, known);
    let open = start;
    while (pages.get(open)?.[SEALED] === true) open++;
    if (open > last) {
      try {
        await this.table.client.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: profileKey(contactId),
            UpdateExpression: "SET #pages = :open",
            ConditionExpression: "attribute_not_exists(#pages) OR #pages < :open",
            ExpressionAttributeNames: { "#pages": PAGES },
            ExpressionAttributeValues: { ":open": open },
          }),
        );
      } catch (error) {
        if (!isConditionFailed(error)) throw error; // announced already, by another sender
      }
    }
    return { open, known };
  }

  /**
   * One summary page's entries for these orders, whether it is sealed, how many entries it has had and
   * any `more` attributes, read consistently; {} when there is no such page.
   */
  private async readPage(contactId: string, page: number, pending: readonly Pending[], more: readonly string[] = []): Promise<Record<string, unknown>> {
    const names: Record<string, string> = { "#entries": ENTRIES, "#sealed": SEALED };
    const projection = ["#entries", "#sealed"];
    more.forEach((name, i) => {
      names[`#m${i}`] = name;
      projection.push(`#m${i}`);
    });
    pending.forEach((p, i) => {
      names[`#o${i}`] = countedAttribute(p.order.id);
      names[`#x${i}`] = removedAttribute(p.order.id);
      projection.push(`#o${i}`, `#x${i}`);
    });
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: summaryPageKey(contactId, page), ConsistentRead: true, ProjectionExpression: projection.join(", "), ExpressionAttributeNames: names }),
    );
    return Item ?? {};
  }

  /** Removes a counted order from the summary; false when it was no longer there, or no longer as read (refunded further). */
  private async removeCounted(contactId: string, orderId: string, entry: PagedEntry, now: number): Promise<boolean> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: summaryPageKey(contactId, entry.page),
          UpdateExpression: "REMOVE #o SET #x = :now ADD orderCount :minusOne, revenue :minusTotal",
          // An entry is counted once (counting requires its absence and the mark keeps it from coming
          // back) and changed only by a larger refund to date, which raises its third element: an entry
          // still there with the refund to date read is the one read, and its net total is what to subtract.
          ConditionExpression: entry.refunded ? "#o[2] = :refunded" : "attribute_exists(#o) AND attribute_not_exists(#o[2])",
          ExpressionAttributeNames: { "#o": countedAttribute(orderId), "#x": removedAttribute(orderId) },
          ExpressionAttributeValues: { ":now": now, ":minusOne": entry.total >= 0 ? -1 : 0, ":minusTotal": -entry.total, ...(entry.refunded && { ":refunded": entry.refunded }) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * The summary's entries for these orders, read consistently: a projection of PROFILE, or for a
   * contact past its first page, of every page (loadSummary).
   */
  private async summaryOf(contactId: string, pending: Pending[]): Promise<SummaryState> {
    const item = await this.readPage(contactId, 0, pending.length <= PROJECTED_ORDERS_MAX ? pending : []);
    if (item[SEALED] === true || pending.length > PROJECTED_ORDERS_MAX) return this.loadSummary(contactId, pending);
    return { open: 0, known: summaryIn(item, contactId) };
  }
}

/** Whether a page read by readPage can take no more than `adding` entries less: sealed, or as good as full. */
function isFull(page: Record<string, unknown>, adding: number): boolean {
  return page[SEALED] === true || (typeof page[ENTRIES] === "number" && page[ENTRIES] + adding > SUMMARY_PAGE_ENTRIES);
}

/**
 * An order id's claim as its orderClaimSlot holds it: the facts that tell the same order sent again
 * from another order under the same id (order-conflict.ts), and when it was claimed.
 */
export function orderClaim(order: OrderInput, claimedAt: string): Record<string, unknown> {
  const { id, contactId, total, currency, createdAt, originalTotal, originalCurrency } = order;
  return { orderId: id, contactId, total, currency, createdAt, claimedAt, ...(originalTotal !== undefined && { originalTotal }), ...(originalCurrency !== undefined && { originalCurrency }) };
}

const StoredOrderItem = z.object({
  id: z.string(),
  contactId: z.string(),
  createdAt: z.string(),
  total: z.number(),
  currency: z.enum(currencies),
  status: z.enum(orderStatuses),
  receivedAt: z.string(),
  statusChangedAt: z.string().optional(),
  originalCurrency: z.string().optional(),
  originalTotal: z.number().optional(),
  exchangeRate: z.number().optional(),
  refundedAmount: z.number().optional(),
  originalRefundedAmount: z.number().optional(),
  refundedAt: z.string().optional(),
});

/** The SET clauses and values that write an order's refund to date on its order item (none when it was sent without one). */
function refundAttributes(order: OrderInput): { set: string[]; values: Record<string, number> } {
  if (order.refundedAmount === undefined) return { set: [], values: {} };
  const set = ["refundedAmount = :refundedAmount"];
  const values: Record<string, number> = { ":refundedAmount": order.refundedAmount };
  if (order.originalRefundedAmount !== undefined) {
    set.push("originalRefundedAmount = :originalRefundedAmount");
    values[":originalRefundedAmount"] = order.originalRefundedAmount;
  }
  return { set, values };
}

/**
 * Whether the claim item holds the order's id; if so, compares the order with it (a difference is a
 * conflict), and moves a cancellation or refund of another contact's order to that contact.
 */
function foundClaim(p: Pending, item: Record<string, unknown> | undefined): boolean {
  const claim = item?.[orderClaimSlot(p.order.id)] as OrderFacts | undefined;
  if (!claim) return false;
  if (p.order.status !== "placed" && typeof claim.contactId === "string" && claim.contactId !== p.order.contactId) p.order = { ...p.order, contactId: claim.contactId };
  const differences = orderDifferences(claim, p.order);
  if (differences.length > 0) p.conflict = differences;
  return true;
}

function statusIn(value: unknown): OrderStatus | undefined {
  if (typeof value === "string") return (orderStatuses as readonly string[]).includes(value) ? (value as OrderStatus) : undefined;
  const s = (value as AttributeValue | undefined)?.S; // the unmarshalled form a ConditionalCheckFailedException carries
  return s !== undefined ? statusIn(s) : undefined;
}
