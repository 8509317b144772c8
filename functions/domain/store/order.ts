import { z } from "zod";
import { ContactId } from "./contact.js";

/** ISO 4217 currencies a store may sell in (the common ones; extend as stores need). */
export const currencies = [
  "EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "RON", "BGN", "CAD", "AUD", "NZD", "JPY", "CNY", "HKD", "SGD", "INR",
  "BRL", "MXN", "ARS", "CLP", "COP", "PEN", "ZAR", "TRY", "ILS", "AED", "SAR", "KRW", "TWD", "THB", "MYR", "IDR", "PHP", "VND",
] as const;

/** placed counts; cancelled and refunded take the order out of the contact's figures (Klaviyo counts only non-refunded orders). */
export const orderStatuses = ["placed", "cancelled", "refunded"] as const;
export type OrderStatus = (typeof orderStatuses)[number];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A date and time with seconds optional, fractions optional, and a zone (Z or ±hh:mm). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Orders may be a few minutes ahead of our clock; beyond that a date is a mistake. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** POST /orders body, and an orders CSV row once its columns are named. `now` judges "in the future". */
export function orderInput(now: () => number = Date.now) {
  return z.strictObject({
    id: z.string({ error: "is missing" }).trim().min(1, "is empty").max(128).refine((s) => !/[\u0000-\u001f\u007f#]/.test(s), 'contains control characters or "#"'),
    contactId: ContactId,
    createdAt: z.string({ error: "is missing" }).transform((text, ctx) => {
      // A date alone (2024-05-31) means midnight UTC, as in a spreadsheet export.
      const iso = ISO_DATE.test(text) ? `${text}T00:00:00Z` : text;
      if (!ISO_TIME.test(iso) || Number.isNaN(Date.parse(iso))) {
        ctx.addIssue({ code: "custom", message: "must be an ISO 8601 time like 2024-05-31T14:03:00Z" });
        return z.NEVER;
      }
      if (Date.parse(iso) > now() + FUTURE_TOLERANCE_MS) {
        ctx.addIssue({ code: "custom", message: "is in the future" });
        return z.NEVER;
      }
      return iso;
    }),
    total: z.number({ error: "must be a number" }).finite().min(0, "must not be negative: send a refund as status refunded").max(1e9, "is implausibly large"),
    currency: z.enum(currencies, { error: "is not a currency we know (ISO 4217, such as EUR)" }),
    status: z.enum(orderStatuses, { error: `must be one of ${orderStatuses.join(", ")}` }).default("placed"),
  });
}
export type OrderInput = z.output<ReturnType<typeof orderInput>>;
