import { fnv1a, spreadBits } from "../numeric/fnv1a.js";
import type { CustomerSummary } from "./customer-summary.js";

/** An order as the models see it: who, when (epoch ms), how much (≥ 0). */
export interface Order {
  orderId: string;
  contactId: string;
  createdAt: number;
  total: number;
}

/**
 * One contact's purchase history: its orders folded into purchase occasions, one per calendar day
 * (UTC), as the CDNOW papers count several orders of one customer on one day as one purchase.
 */
export interface ContactHistory {
  contactId: string;
  orderCount: number;
  /** Sum of the order totals: the historic CLV. */
  revenue: number;
  firstOrderAt: number;
  lastOrderAt: number;
  /** Ascending day numbers (days since 1970-01-01 UTC) on which the contact ordered. */
  purchaseDays: number[];
  /** Revenue of each purchase day, aligned with purchaseDays. */
  dayRevenue: number[];
}

export const MS_PER_DAY = 86_400_000;

export type TimeUnit = "days" | "weeks";
export const DAYS_PER_UNIT: Record<TimeUnit, number> = { days: 1, weeks: 7 };

export function dayNumber(epochMs: number): number {
  return Math.floor(epochMs / MS_PER_DAY);
}

/** Parses YYYY-MM-DD (or a full ISO time) to epoch ms; NaN when it is not a date. */
export function parseDate(text: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
  return ms;
}

/**
 * Groups orders by contact. Orders after `asOf`'s day are left out (they have not happened yet at
 * the as-of date); so is a contact whose first order is after it.
 */
export function contactHistories(orders: Iterable<Order>, asOf: number): ContactHistory[] {
  const fold = new OrderFold(asOf);
  for (const order of orders) fold.add(order.contactId, order.createdAt, order.total);
  return fold.histories();
}

/** Numbers per slot of OrderFold's table of contacts, and the characters of an id kept in its slot. */
const SLOT = 8;
const HEAD_CHARS = 8;

/** The characters at `at` and `at + 1` before `to` (0 past it) as one number, the second in the high bits. */
function charPair(text: string, at: number, to: number): number {
  return (at < to ? text.charCodeAt(at) : 0) | (at + 1 < to ? text.charCodeAt(at + 1) << 16 : 0);
}

/**
 * contactHistories one order at a time, kept as columns (the contact's number, time, total) rather
 * than an object per order: a file of a million orders is folded as it is read. The histories come
 * in the order of each contact's first order up to the as-of day; a contact's orders of one time keep
 * the order they were added in.
 */
export class OrderFold {
  private readonly lastDay: number;
  /** Contact ids by number, in the order first seen. */
  private readonly contactIds: string[] = [];
  /**
   * The contacts by a hash of their ids' characters, open addressing, SLOT numbers per slot: the
   * contact's number (-1 free), the hash, the id's length, where its characters past the eighth are in
   * `idChars`, and its first eight characters, two to a number. Most ids are found by reading one slot
   * (32 bytes), where a Map or the id strings would reach for objects all over the heap.
   */
  private slots = new Int32Array(SLOT * 4096).fill(-1);
  private idChars = new Uint16Array(4096);
  private idCharsLength = 0;
  private contactOf = new Int32Array(64);
  /** Each order's time and total, side by side: what the histories read of an order is one place. */
  private timeAndTotal = new Float64Array(128);
  private length = 0;
  /** Orders left out for being placed after the as-of day. */
  ordersAfterAsOf = 0;

  constructor(asOf: number) {
    this.lastDay = dayNumber(asOf);
  }

  add(contactId: string, createdAt: number, total: number): void {
    this.addSpan(contactId, 0, contactId.length, createdAt, total);
  }

  /**
   * add, the contact id being text[from, to): a file reader hands it over without making a string of
   * it, and the id becomes a string once per contact, when first seen. (A Map keyed by the ids' strings
   * cost ~1.2 s over a million orders of 300,000 contacts.)
   */
  addSpan(text: string, from: number, to: number, createdAt: number, total: number): void {
    if (dayNumber(createdAt) > this.lastDay) {
      this.ordersAfterAsOf++;
      return;
    }
    const contact = this.contactNumber(text, from, to);
    if (this.length === this.contactOf.length) this.grow();
    const at = this.length++;
    this.contactOf[at] = contact;
    this.timeAndTotal[2 * at] = createdAt;
    this.timeAndTotal[2 * at + 1] = total;
  }

  /** The number of the contact whose id is text[from, to), a new one when not seen before. */
  private contactNumber(text: string, from: number, to: number): number {
    // FNV-1a over the characters, then MurmurHash3's finalizer (as SummaryFold's hash, for the same reason).
    const h = spreadBits(fnv1a(text, from, to));
    const length = to - from;
    const head0 = charPair(text, from, to);
    const head1 = charPair(text, from + 2, to);
    const head2 = charPair(text, from + 4, to);
    const head3 = charPair(text, from + 6, to);
    const slots = this.slots;
    const mask = slots.length / SLOT - 1;
    let slot = h & mask;
    for (;;) {
      const at = SLOT * slot;
      const contact = slots[at]!;
      if (contact < 0) break;
      if (slots[at + 1] === h && slots[at + 2] === length && slots[at + 4] === head0 && slots[at + 5] === head1 && slots[at + 6] === head2 && slots[at + 7] === head3) {
        if (length <= HEAD_CHARS) return contact;
        const chars = this.idChars;
        const offset = slots[at + 3]! - (from + HEAD_CHARS);
        let i = from + HEAD_CHARS;
        while (i < to && chars[offset + i] === text.charCodeAt(i)) i++;
        if (i === to) return contact;
      }
      slot = (slot + 1) & mask;
    }
    const contact = this.contactIds.length;
    this.contactIds.push(from === 0 && to === text.length ? text : text.slice(from, to));
    const tail = Math.max(0, length - HEAD_CHARS);
    const charsFrom = this.idCharsLength;
    if (charsFrom + tail > this.idChars.length) {
      const chars = new Uint16Array(Math.max(2 * this.idChars.length, charsFrom + tail));
      chars.set(this.idChars.subarray(0, charsFrom));
      this.idChars = chars;
    }
    for (let i = to - tail; i < to; i++) this.idChars[this.idCharsLength++] = text.charCodeAt(i);
    const at = SLOT * slot;
    slots[at] = contact;
    slots[at + 1] = h;
    slots[at + 2] = length;
    slots[at + 3] = charsFrom;
    slots[at + 4] = head0;
    slots[at + 5] = head1;
    slots[at + 6] = head2;
    slots[at + 7] = head3;
    // At most five eighths full: probes stay short.
    if (8 * (contact + 1) > 5 * (mask + 1)) this.rehash();
    return contact;
  }

  /** Twice the slots, every contact placed again by its hash. */
  private rehash(): void {
    const old = this.slots;
    const slots = new Int32Array(2 * old.length).fill(-1);
    const mask = slots.length / SLOT - 1;
    for (let k = 0; k < old.length; k += SLOT) {
      if (old[k]! < 0) continue;
      let slot = old[k + 1]! & mask;
      while (slots[SLOT * slot]! >= 0) slot = (slot + 1) & mask;
      for (let w = 0; w < SLOT; w++) slots[SLOT * slot + w] = old[k + w]!;
    }
    this.slots = slots;
  }

  histories(): ContactHistory[] {
    // Each contact's orders together, in the order they were added (a counting sort by contact), their
    // times and totals moved next to each other once, so that what follows reads them in sequence.
    const contacts = this.contactIds.length;
    const start = new Int32Array(contacts + 1);
    for (let i = 0; i < this.length; i++) start[this.contactOf[i]! + 1]!++;
    for (let c = 0; c < contacts; c++) start[c + 1]! += start[c]!;
    const next = start.slice(0, contacts);
    const byContact = new Float64Array(2 * this.length);
    for (let i = 0; i < this.length; i++) {
      const at = 2 * next[this.contactOf[i]!]!++;
      byContact[at] = this.timeAndTotal[2 * i]!;
      byContact[at + 1] = this.timeAndTotal[2 * i + 1]!;
    }
    const histories: ContactHistory[] = [];
    for (let c = 0; c < contacts; c++) {
      sortByTime(byContact, start[c]!, start[c + 1]!);
      const history = historyOf(this.contactIds[c]!, byContact, start[c]!, start[c + 1]!);
      if (history) histories.push(history);
    }
    return histories;
  }

  private grow(): void {
    const contactOf = new Int32Array(this.contactOf.length * 2);
    contactOf.set(this.contactOf);
    this.contactOf = contactOf;
    const timeAndTotal = new Float64Array(this.timeAndTotal.length * 2);
    timeAndTotal.set(this.timeAndTotal);
    this.timeAndTotal = timeAndTotal;
  }
}

/** Orders from..to (as time, total pairs in `orders`) by time, those of one time in the order they are in (a stable sort). */
function sortByTime(orders: Float64Array, from: number, to: number): void {
  if (to - from > 32) {
    const pairs = Array.from({ length: to - from }, (_, k) => [orders[2 * (from + k)]!, orders[2 * (from + k) + 1]!] as const);
    // Array.prototype.sort is stable.
    pairs.sort((x, y) => x[0] - y[0]);
    pairs.forEach(([time, total], k) => {
      orders[2 * (from + k)] = time;
      orders[2 * (from + k) + 1] = total;
    });
    return;
  }
  // A contact's few orders: an insertion sort, nothing to do when the file had them in time order.
  for (let k = from + 1; k < to; k++) {
    const time = orders[2 * k]!;
    const total = orders[2 * k + 1]!;
    let j = k - 1;
    while (j >= from && orders[2 * j]! > time) {
      orders[2 * j + 2] = orders[2 * j]!;
      orders[2 * j + 3] = orders[2 * j + 1]!;
      j--;
    }
    orders[2 * j + 2] = time;
    orders[2 * j + 3] = total;
  }
}

/** One contact's history from its orders from..to (time, total pairs in `orders`), in time order. */
function historyOf(contactId: string, orders: Float64Array, from: number, to: number): ContactHistory | undefined {
  // The purchase days counted first, so that the arrays are made at their size: grown by push, a third of a million histories' arrays cost more than the rest of the fold.
  let days = 0;
  for (let k = from, previous = Number.NaN; k < to; k++) {
    if (orders[2 * k + 1]! < 0) continue;
    const day = dayNumber(orders[2 * k]!);
    if (day !== previous) days++;
    previous = day;
  }
  const purchaseDays: number[] = new Array(days);
  const dayRevenue: number[] = new Array(days);
  let purchases = 0;
  let revenue = 0;
  let orderCount = 0;
  let firstOrderAt = 0;
  let lastOrderAt = 0;
  for (let k = from; k < to; k++) {
    const total = orders[2 * k + 1]!;
    revenue += total;
    if (total < 0) {
      // A credit note (a cancellation or partial refund without its order, as Online Retail's
      // C-invoices): no purchase, it nets the revenue of the latest purchase days before it.
      let credit = -total;
      for (let d = purchases - 1; d >= 0 && credit > 0; d--) {
        const taken = Math.min(credit, dayRevenue[d]!);
        dayRevenue[d]! -= taken;
        credit -= taken;
      }
      continue;
    }
    const createdAt = orders[2 * k]!;
    if (orderCount === 0) firstOrderAt = createdAt;
    lastOrderAt = createdAt;
    orderCount++;
    const day = dayNumber(createdAt);
    if (purchases > 0 && purchaseDays[purchases - 1] === day) dayRevenue[purchases - 1]! += total;
    else {
      purchaseDays[purchases] = day;
      dayRevenue[purchases++] = total;
    }
  }
  // Credit notes alone (cancellations of orders from before the data) make no purchase history.
  if (orderCount === 0) return undefined;
  return {
    contactId,
    orderCount,
    // Credit notes net the revenue down to nothing at most: what was cancelled was never more than bought.
    revenue: Math.max(0, revenue),
    firstOrderAt,
    lastOrderAt,
    purchaseDays,
    dayRevenue,
  };
}

/**
 * The history as of the end of day `lastDay` (inclusive), in the `lifetimes` convention: frequency =
 * purchase days after the first, recency and T from the first purchase day, monetary value = mean
 * revenue of the repeat purchase days, logInterPurchaseTimes = Σ log(days between purchase days, in the
 * unit) for MBG/CNBD-k. Undefined when the contact had not ordered by then.
 */
export function summarize(history: ContactHistory, lastDay: number, unit: TimeUnit): CustomerSummary | undefined {
  const days = history.purchaseDays;
  const first = days[0];
  if (first === undefined || first > lastDay) return undefined;
  let repeats = 0;
  let repeatRevenue = 0;
  let lastPurchase = first;
  let logDaysBetween = 0;
  for (let i = 1; i < days.length && days[i]! <= lastDay; i++) {
    repeats++;
    repeatRevenue += history.dayRevenue[i]!;
    logDaysBetween += Math.log(days[i]! - lastPurchase);
    lastPurchase = days[i]!;
  }
  const perUnit = DAYS_PER_UNIT[unit];
  return {
    frequency: repeats,
    recency: (lastPurchase - first) / perUnit,
    T: (lastDay - first) / perUnit,
    monetaryValue: repeats > 0 ? repeatRevenue / repeats : 0,
    logInterPurchaseTimes: logDaysBetween - repeats * Math.log(perUnit),
  };
}

/** Purchase days in (fromDay, toDay]: what the holdout period saw. */
export function purchasesBetween(history: ContactHistory, fromDay: number, toDay: number): number {
  let n = 0;
  for (const day of history.purchaseDays) if (day > fromDay && day <= toDay) n++;
  return n;
}

export interface CalibrationHoldout {
  contactId: string;
  calibration: CustomerSummary;
  /** Repeat purchase days in the holdout period. */
  holdoutPurchases: number;
}

/**
 * Splits histories at the end of `calibrationEndDay`: contacts who first ordered by then, their
 * calibration summary, and their purchase days in (calibrationEndDay, holdoutEndDay].
 */
export function calibrationHoldout(histories: readonly ContactHistory[], calibrationEndDay: number, holdoutEndDay: number, unit: TimeUnit): CalibrationHoldout[] {
  const split: CalibrationHoldout[] = [];
  for (const history of histories) {
    const calibration = summarize(history, calibrationEndDay, unit);
    if (!calibration) continue;
    split.push({ contactId: history.contactId, calibration, holdoutPurchases: purchasesBetween(history, calibrationEndDay, holdoutEndDay) });
  }
  return split;
}

