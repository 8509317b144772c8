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
  const lastDay = dayNumber(asOf);
  const byContact = new Map<string, Order[]>();
  for (const order of orders) {
    if (dayNumber(order.createdAt) > lastDay) continue;
    let list = byContact.get(order.contactId);
    if (!list) byContact.set(order.contactId, (list = []));
    list.push(order);
  }
  const histories: ContactHistory[] = [];
  for (const [contactId, list] of byContact) {
    const history = historyOf(contactId, list);
    if (history) histories.push(history);
  }
  return histories;
}

function historyOf(contactId: string, all: Order[]): ContactHistory | undefined {
  all.sort((x, y) => x.createdAt - y.createdAt);
  const purchaseDays: number[] = [];
  const dayRevenue: number[] = [];
  const orders: Order[] = [];
  let revenue = 0;
  for (const order of all) {
    revenue += order.total;
    if (order.total < 0) {
      // A credit note (a cancellation or partial refund without its order, as Online Retail's
      // C-invoices): no purchase, it nets the revenue of the latest purchase days before it.
      let credit = -order.total;
      for (let i = dayRevenue.length - 1; i >= 0 && credit > 0; i--) {
        const taken = Math.min(credit, dayRevenue[i]!);
        dayRevenue[i]! -= taken;
        credit -= taken;
      }
      continue;
    }
    orders.push(order);
    const day = dayNumber(order.createdAt);
    const last = purchaseDays.length - 1;
    if (last >= 0 && purchaseDays[last] === day) dayRevenue[last]! += order.total;
    else {
      purchaseDays.push(day);
      dayRevenue.push(order.total);
    }
  }
  // Credit notes alone (cancellations of orders from before the data) make no purchase history.
  if (orders.length === 0) return undefined;
  return {
    contactId,
    orderCount: orders.length,
    // Credit notes net the revenue down to nothing at most: what was cancelled was never more than bought.
    revenue: Math.max(0, revenue),
    firstOrderAt: orders[0]!.createdAt,
    lastOrderAt: orders[orders.length - 1]!.createdAt,
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
