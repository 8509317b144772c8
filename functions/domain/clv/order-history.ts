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

/**
 * contactHistories one order at a time, kept as columns (the contact's number, time, total) rather
 * than an object per order: a file of a million orders is folded as it is read. The histories come
 * in the order of each contact's first order up to the as-of day; a contact's orders of one time keep
 * the order they were added in.
 */
export class OrderFold {
  private readonly lastDay: number;
  private readonly contactNumbers = new Map<string, number>();
  private readonly contactIds: string[] = [];
  private contactOf = new Int32Array(64);
  private createdAt = new Float64Array(64);
  private total = new Float64Array(64);
  private length = 0;

  constructor(asOf: number) {
    this.lastDay = dayNumber(asOf);
  }

  add(contactId: string, createdAt: number, total: number): void {
    if (dayNumber(createdAt) > this.lastDay) return;
    let contact = this.contactNumbers.get(contactId);
    if (contact === undefined) {
      contact = this.contactIds.length;
      this.contactNumbers.set(contactId, contact);
      this.contactIds.push(contactId);
    }
    if (this.length === this.contactOf.length) this.grow();
    const at = this.length++;
    this.contactOf[at] = contact;
    this.createdAt[at] = createdAt;
    this.total[at] = total;
  }

  histories(): ContactHistory[] {
    // Each contact's orders together, in the order they were added (a counting sort by contact).
    const contacts = this.contactIds.length;
    const start = new Int32Array(contacts + 1);
    for (let i = 0; i < this.length; i++) start[this.contactOf[i]! + 1]!++;
    for (let c = 0; c < contacts; c++) start[c + 1]! += start[c]!;
    const next = start.slice(0, contacts);
    const byContact = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) byContact[next[this.contactOf[i]!]!++] = i;
    const histories: ContactHistory[] = [];
    for (let c = 0; c < contacts; c++) {
      this.sortByTime(byContact, start[c]!, start[c + 1]!);
      const history = this.historyOf(this.contactIds[c]!, byContact, start[c]!, start[c + 1]!);
      if (history) histories.push(history);
    }
    return histories;
  }

  /** orders[from..to) by time, those of one time in the order they were added (a stable sort). */
  private sortByTime(orders: Int32Array, from: number, to: number): void {
    const createdAt = this.createdAt;
    if (to - from > 32) {
      const sorted = Array.from(orders.subarray(from, to)).sort((x, y) => createdAt[x]! - createdAt[y]! || x - y);
      orders.set(sorted, from);
      return;
    }
    // A contact's few orders: an insertion sort, nothing to do when the file had them in time order.
    for (let k = from + 1; k < to; k++) {
      const order = orders[k]!;
      const time = createdAt[order]!;
      let j = k - 1;
      while (j >= from && createdAt[orders[j]!]! > time) {
        orders[j + 1] = orders[j]!;
        j--;
      }
      orders[j + 1] = order;
    }
  }

  /** One contact's history from its orders (their numbers in orders[from..to)), in time order. */
  private historyOf(contactId: string, orders: Int32Array, from: number, to: number): ContactHistory | undefined {
    const purchaseDays: number[] = [];
    const dayRevenue: number[] = [];
    let revenue = 0;
    let orderCount = 0;
    let firstOrderAt = 0;
    let lastOrderAt = 0;
    for (let k = from; k < to; k++) {
      const i = orders[k]!;
      const total = this.total[i]!;
      revenue += total;
      if (total < 0) {
        // A credit note (a cancellation or partial refund without its order, as Online Retail's
        // C-invoices): no purchase, it nets the revenue of the latest purchase days before it.
        let credit = -total;
        for (let d = dayRevenue.length - 1; d >= 0 && credit > 0; d--) {
          const taken = Math.min(credit, dayRevenue[d]!);
          dayRevenue[d]! -= taken;
          credit -= taken;
        }
        continue;
      }
      const createdAt = this.createdAt[i]!;
      if (orderCount === 0) firstOrderAt = createdAt;
      lastOrderAt = createdAt;
      orderCount++;
      const day = dayNumber(createdAt);
      const last = purchaseDays.length - 1;
      if (last >= 0 && purchaseDays[last] === day) dayRevenue[last]! += total;
      else {
        purchaseDays.push(day);
        dayRevenue.push(total);
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

  private grow(): void {
    const size = this.contactOf.length * 2;
    const contactOf = new Int32Array(size);
    contactOf.set(this.contactOf);
    this.contactOf = contactOf;
    const createdAt = new Float64Array(size);
    createdAt.set(this.createdAt);
    this.createdAt = createdAt;
    const total = new Float64Array(size);
    total.set(this.total);
    this.total = total;
  }
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
