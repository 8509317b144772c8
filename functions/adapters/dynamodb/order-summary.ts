import { NumberValue } from "@aws-sdk/lib-dynamodb";
import type { Order } from "../../domain/clv/order-history.js";
import { netTotal, type OrderInput } from "../../domain/store/order.js";
import { SummaryAttribute, SummaryPageAttribute, contactIdOf, summaryAttributeOf, summaryPageKey, type TableKey } from "../../domain/store/table-keys.js";
import type { StoreTable } from "./table.js";

/*
 * The running order summary in a contact's PROFILE item: `o#<key>` = [at, total] for each counted
 * order, [at, net, refunded] once part of it was refunded (the order counts at its net total, and the
 * refund to date is what a later refund's write is conditional on: `o#<key>[2]`), `x#<key>` = epoch
 * ms for each order taken out of the figures (cancelled, refunded whole), and
 * the counters orderCount and revenue. The key is the order id, or a hash of a long one
 * (orderSummaryKey, table-keys.ts); entries written before were {at, total} maps, read alike.
 *
 * Pages: a contact has no ceiling. PROFILE is page 0 of its summary; once a page has taken
 * SUMMARY_PAGE_ENTRIES entries it is sealed and the next entries go to the next page (SUMMARY#<n>,
 * summaryPageKey), whose number PROFILE keeps in summaryPages. Each page holds its own entries and
 * counters, changed together by one conditional UpdateItem as before, so an entry and its counters
 * never part; the contact's figures are the sum of its pages (mergedSummaryItem). A sealed page never
 * takes another entry (every addition is conditional on it not being sealed), so once read, what it
 * holds is known: an order is added to the open page only when no page before it has it
 * (order-items.ts), and is therefore counted once in all the pages. Pages also bound what one order
 * costs to write: an UpdateItem rewrites (and DynamoDB bills) the whole item, so a 5,000-order
 * contact no longer rewrites a 200 KB item with each order.
 *
 * The `x#` marks are what keeps an order out once removed. Without them a re-sent "placed" that races
 * a refund could count the order again after the refund took it out (the refund's REMOVE leaves no
 * trace for `attribute_not_exists` to see), and a refund that arrives before its order could not stop
 * the late order from counting. Counting is conditional on neither attribute existing; removing sets
 * the mark in the same UpdateItem. They cost a few bytes per refunded order.
 */

export interface SummaryEntry {
  /** Order time, epoch ms. */
  at: number;
  /** What the order counts for: its total less what was refunded of it (netTotal). */
  total: number;
  /** What was refunded of the order to date; absent (0) when nothing was. */
  refunded?: number;
}

/** Entries a summary page takes before it is sealed: some 9–18 KB of entries, by the ids' length. */
export const SUMMARY_PAGE_ENTRIES = 500;
/** A sealed page's summaryEntries: past the limit, so that no addition's condition lets another entry in. */
export const SEALED_PAGE_ENTRIES = SUMMARY_PAGE_ENTRIES + 1;

/** A counted entry and the page that holds it. */
export interface PagedEntry extends SummaryEntry {
  page: number;
}

/** What a contact's summary says about some of its orders, by orderSummaryKey. */
export interface Summary {
  counted: Map<string, PagedEntry>;
  /** Orders marked removed. */
  removed: Set<string>;
}

/** An entry as written: a list of two numbers costs the item 8 bytes less than the map {at, total}; a third is the refund to date. */
export const summaryValue = (entry: SummaryEntry): number[] => (entry.refunded ? [entry.at, entry.total, entry.refunded] : [entry.at, entry.total]);

/** An order's entry as counted: its time, its net total and its refund to date. */
export function orderEntry(order: OrderInput): SummaryEntry {
  return { at: Date.parse(order.createdAt), total: netTotal(order), ...(order.refundedAmount ? { refunded: order.refundedAmount } : {}) };
}

const COUNTED = SummaryAttribute.counted;

/** Appends the counted orders of a PROFILE item (a plain loop: the nightly scan runs it on every contact). */
export function collectOrders(item: Record<string, unknown>, orders: Order[]): void {
  const contactId = contactIdOf(String(item.PK));
  for (const name in item) {
    if (!name.startsWith(COUNTED)) continue;
    const entry = summaryEntry(item[name], contactId, name);
    orders.push({ orderId: name.slice(COUNTED.length), contactId, createdAt: entry.at, total: entry.total });
  }
}

/** The counted and removed orders of a summary page (or of the part of it a projection read), added to `into`. */
export function summaryIn(item: Record<string, unknown>, contactId: string, page = 0, into: Summary = { counted: new Map(), removed: new Set() }): Summary {
  for (const name in item) {
    const attribute = summaryAttributeOf(name);
    if (attribute?.kind === "counted") into.counted.set(attribute.key, { ...summaryEntry(item[name], contactId, name), page });
    else if (attribute?.kind === "removed") into.removed.add(attribute.key);
  }
  return into;
}

/** How many pages after PROFILE the contact's summary has, as its PROFILE item says. */
export function spilledPages(profile: Record<string, unknown> | undefined): number {
  const pages = profile?.[SummaryPageAttribute.pages];
  return typeof pages === "number" ? pages : 0;
}

/** The keys of the pages after PROFILE, 1 to spilledPages. */
export function spilledPageKeys(contactId: string, profile: Record<string, unknown>): TableKey[] {
  return Array.from({ length: spilledPages(profile) }, (_, i) => summaryPageKey(contactId, i + 1));
}

/**
 * A contact's PROFILE item with the entries of its other summary pages added and the counters summed:
 * what one item held before summaries had pages, so every reader of a contact reads it alike.
 */
export function mergedSummaryItem(profile: Record<string, unknown>, pages: readonly Record<string, unknown>[]): Record<string, unknown> {
  if (pages.length === 0) return profile;
  const merged: Record<string, unknown> = { ...profile };
  const counts: number[] = [];
  const revenues: number[] = [];
  for (const item of [profile, ...pages]) {
    if (typeof item.orderCount === "number") counts.push(item.orderCount);
    if (typeof item.revenue === "number") revenues.push(item.revenue);
    if (item === profile) continue;
    for (const name in item) if (name.startsWith(SummaryAttribute.counted) || name.startsWith(SummaryAttribute.removed)) merged[name] = item[name];
  }
  if (counts.length > 0) merged.orderCount = counts.reduce((a, b) => a + b, 0);
  if (revenues.length > 0) merged.revenue = Number(decimalSum(revenues).value);
  return merged;
}

/**
 * The PROFILE items given, each merged with its further summary pages (mergedSummaryItem), which are
 * read in one BatchGetItem per 100 pages; a contact without further pages costs no read.
 */
export async function withSummaryPages(table: StoreTable, profiles: readonly Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const keys = profiles.flatMap((item) => spilledPageKeys(contactIdOf(String(item.PK)), item));
  if (keys.length === 0) return [...profiles];
  const byContact = new Map<string, Record<string, unknown>[]>();
  for (const page of await table.getItems(keys)) {
    const pk = String(page.PK);
    byContact.set(pk, [...(byContact.get(pk) ?? []), page]);
  }
  return profiles.map((item) => mergedSummaryItem(item, byContact.get(String(item.PK)) ?? []));
}

function summaryEntry(value: unknown, contactId: string, name: string): SummaryEntry {
  if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "number") {
    if (value.length === 2) return { at: value[0], total: value[1] };
    if (value.length === 3 && typeof value[2] === "number") return { at: value[0], total: value[1], refunded: value[2] };
  }
  const entry = value as Partial<SummaryEntry> | undefined;
  if (typeof entry?.at !== "number" || typeof entry.total !== "number") {
    throw new Error(`the summary of contact ${contactId} has a bad entry ${name}: expected [at, total] or [at, net, refunded] numbers, got ${JSON.stringify(value)}`);
  }
  return { at: entry.at, total: entry.total };
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
