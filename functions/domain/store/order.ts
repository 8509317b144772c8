import { z } from "zod";
import { ContactId } from "./contact.js";
import { parseOrderTime } from "../input/calendar-time.js";
import { expected } from "../input/field-messages.js";
import { amountIn, currencyCodes, DEFAULT_STORE_CURRENCY, isCurrency, roundToMinorUnit } from "./money.js";

/** ISO 4217 currencies an order may be in: every code the runtime knows. */
export const currencies = currencyCodes;

/** placed counts; cancelled and refunded take the order out of the contact's figures (Klaviyo counts only non-refunded orders). */
export const orderStatuses = ["placed", "cancelled", "refunded"] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** The largest total we take: beyond it a total is a typo (or a unit mix-up), not an order. */
export const MAX_ORDER_TOTAL = 1e9;

/** What a store's orders must be, beyond their shape. */
export interface OrderRules {
  /** The ISO 4217 currency every figure is kept and shown in (DEFAULT_STORE_CURRENCY). */
  storeCurrency?: string;
  /** YYYY-MM-DD: no order before it (DEFAULT_EARLIEST_ORDER_DATE, 1995-01-01). */
  earliestOrderDate?: string;
  /** The clock that judges "in the future". */
  now?: () => number;
}

/** An order once read: `total` and `currency` are in the store's currency; what was sent in another is kept beside. */
export interface OrderInput {
  id: string;
  contactId: string;
  createdAt: string;
  /** In the store's currency, rounded to its minor unit. */
  total: number;
  /** The store's currency. */
  currency: string;
  status: OrderStatus;
  /** The order's own currency and total when it was sent in another than the store's. */
  originalCurrency?: string;
  originalTotal?: number;
  /** Store currency per unit of the original currency, as sent (or as implied by totalInStoreCurrency). */
  exchangeRate?: number;
  /**
   * What was refunded of the order to date, in the store's currency (0 ≤ refundedAmount ≤ total), as
   * Shopify's and WooCommerce's order webhooks send it: each later send carries the larger sum. The
   * order counts at its net total, total − refundedAmount (netTotal). Absent: the send says nothing of
   * refunds.
   */
  refundedAmount?: number;
  /** refundedAmount in the order's own currency, as sent, when that is not the store's. */
  originalRefundedAmount?: number;
}

/** What the order counts for in the contact's revenue: its total less what was refunded of it to date. */
export function netTotal(order: Pick<OrderInput, "total" | "currency" | "refundedAmount">): number {
  return order.refundedAmount ? roundToMinorUnit(order.total - order.refundedAmount, order.currency) : order.total;
}

const text = () => z.string({ error: expected("a string") });
/** A total: negative for a credit note (a cancellation or partial refund sent as an order of its own). */
const amount = () =>
  z
    .number({ error: expected("a number") })
    .refine(Number.isFinite, "must be a finite number")
    .refine((n) => Math.abs(n) <= MAX_ORDER_TOTAL, `is implausibly large (at most ${MAX_ORDER_TOTAL.toLocaleString("en")} either way)`);

/**
 * POST /orders body, and an orders CSV row once its columns are named.
 *
 * A negative total is a credit note: a cancellation or a partial refund that names no order it
 * belongs to (Online Retail's C-invoices), or one refund of several of an order, sent with an id of
 * its own (`o-1/refund-2`). It lowers the contact's revenue once, however often it is sent, and is no
 * purchase; sent again with status cancelled or refunded, it is taken back out. A whole order taken
 * back is sent as its own id with status cancelled or refunded.
 *
 * `refundedAmount` is what was refunded of the order to date (cumulative, as Shopify's and
 * WooCommerce's order webhooks send it), 0 to the total, rounded like the total and, for an order in
 * another currency, converted at its rate. The order then counts at its net total; the same order sent
 * again with a larger refundedAmount is a refund (the revenue drops by the difference, once), with a
 * smaller one a late webhook that changes nothing. Refunded whole, the order is read as status
 * refunded: no purchase any more, as Klaviyo counts only orders not refunded.
 *
 * An order in a currency other
 * than the store's carries `exchangeRate` (store currency per unit of its own) or
 * `totalInStoreCurrency`; without either it is refused, since adding 100 EUR to 100 GBP as 200 would
 * make every figure wrong.
 */
export function orderInput(rules: OrderRules = {}) {
  const storeCurrency = rules.storeCurrency ?? DEFAULT_STORE_CURRENCY;
  const range = { ...(rules.earliestOrderDate && { earliest: rules.earliestOrderDate }), ...(rules.now && { now: rules.now }) };
  return z
    .strictObject({
      id: text()
        .trim()
        .min(1, "is empty")
        .max(128, "at most 128 characters")
        .refine((s) => !/[\u0000-\u001f\u007f#]/.test(s), 'contains control characters or "#"'),
      contactId: ContactId,
      createdAt: text().transform((value, ctx) => {
        const time = parseOrderTime(value.trim(), range);
        if ("error" in time) {
          ctx.addIssue({ code: "custom", message: time.error });
          return z.NEVER;
        }
        return time.iso;
      }),
      total: amount(),
      currency: text()
        .trim()
        .toUpperCase()
        .refine(isCurrency, "is not a currency we know (ISO 4217, such as EUR)"),
      status: z.enum(orderStatuses, { error: (issue) => (issue.input === undefined ? "is missing" : `must be one of ${orderStatuses.join(", ")}`) }).default("placed"),
      exchangeRate: z
        .number({ error: expected("a number") })
        .refine((n) => Number.isFinite(n) && n > 0, "must be a number above 0")
        .optional(),
      totalInStoreCurrency: amount().optional(),
      refundedAmount: z
        .number({ error: expected("a number") })
        .refine(Number.isFinite, "must be a finite number")
        .refine((n) => n >= 0, "must be 0 or more: what was refunded of the order to date")
        .optional(),
    })
    .transform((order, ctx): OrderInput => {
      const { exchangeRate, totalInStoreCurrency, refundedAmount, ...rest } = order;
      const own = amountIn(order.total, order.currency);
      if ("error" in own) {
        ctx.addIssue({ code: "custom", path: ["total"], message: own.error });
        return z.NEVER;
      }
      const refunded = refundedAmount === undefined ? undefined : ownRefund(refundedAmount, own.amount, order.currency);
      if (refunded !== undefined && "error" in refunded) {
        ctx.addIssue({ code: "custom", path: ["refundedAmount"], message: refunded.error });
        return z.NEVER;
      }
      /** The refund to date in the store's currency, and the status: refunded whole, the order is no purchase (as status refunded). */
      const withRefund = (sent: Omit<OrderInput, "refundedAmount" | "originalRefundedAmount">, inStore?: number): OrderInput => {
        if (refunded === undefined) return sent;
        const whole = refunded.amount === own.amount && own.amount > 0;
        const refundedAmount = whole ? sent.total : Math.min(sent.total, inStore ?? refunded.amount);
        return {
          ...sent,
          ...(whole && sent.status === "placed" && { status: "refunded" as const }),
          refundedAmount,
          ...(sent.originalCurrency !== undefined && { originalRefundedAmount: refunded.amount }),
        };
      };
      if (order.currency === storeCurrency) {
        const inStore = totalInStoreCurrency ?? own.amount;
        if ((exchangeRate !== undefined && exchangeRate !== 1) || Math.abs(inStore - own.amount) > 1e-9) {
          ctx.addIssue({ code: "custom", path: [exchangeRate !== undefined ? "exchangeRate" : "totalInStoreCurrency"], message: `the order is in the store's currency (${storeCurrency}): leave it out` });
          return z.NEVER;
        }
        return withRefund({ ...rest, total: own.amount });
      }
      if (totalInStoreCurrency === undefined && exchangeRate === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["currency"],
          message: `is ${order.currency} but the store counts in ${storeCurrency}: send exchangeRate (${storeCurrency} per ${order.currency}) or totalInStoreCurrency with it`,
        });
        return z.NEVER;
      }
      let total: number;
      if (totalInStoreCurrency !== undefined) {
        const inStore = amountIn(totalInStoreCurrency, storeCurrency);
        if ("error" in inStore) {
          ctx.addIssue({ code: "custom", path: ["totalInStoreCurrency"], message: inStore.error });
          return z.NEVER;
        }
        total = inStore.amount;
      } else total = roundToMinorUnit(own.amount * exchangeRate!, storeCurrency);
      if (Math.abs(total) > MAX_ORDER_TOTAL) {
        ctx.addIssue({ code: "custom", path: ["exchangeRate"], message: `makes the total ${total} ${storeCurrency}, implausibly large` });
        return z.NEVER;
      }
      const rate = exchangeRate ?? (own.amount !== 0 ? total / own.amount : 1);
      const converted = { ...rest, total, currency: storeCurrency, originalCurrency: order.currency, originalTotal: own.amount, exchangeRate: rate };
      // A refund in the order's currency is converted as its total was: at the order's rate.
      return withRefund(converted, refunded === undefined ? undefined : roundToMinorUnit(refunded.amount * rate, storeCurrency));
    });
}

/** The refund to date in the order's own currency, rounded like a total, or why it cannot be. */
function ownRefund(refundedAmount: number, total: number, currency: string): { amount: number } | { error: string } {
  const own = amountIn(refundedAmount, currency);
  if ("error" in own) return own;
  if (total < 0 && own.amount > 0) return { error: "a credit note (a negative total) is a refund itself: send the refund as refundedAmount of the order it refunds, or as a credit note, not both" };
  if (own.amount > total) return { error: `is ${own.amount} but the order's total is ${total} ${currency}: at most the total can be refunded` };
  return own;
}
