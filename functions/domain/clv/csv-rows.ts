import { z } from "zod";
import { dateCell, nonNegativeNumberCell, numberCell, requiredText } from "../input/csv-fields.js";

/** An orders CSV row: `order_id,customer_id,created_at,total` (other columns are ignored). */
export const OrderRow = z
  .object({
    order_id: requiredText,
    customer_id: requiredText,
    created_at: dateCell,
    total: numberCell.refine((n) => n >= 0, { message: "must not be negative: a refund or cancellation is not an order" }),
  })
  .transform((r) => ({ orderId: r.order_id, contactId: r.customer_id, createdAt: r.created_at, total: r.total }));

/** A summary CSV row for `clv fit`: `customer_id,frequency,recency,T[,monetary_value]`, in any one time unit. */
export const SummaryRow = z
  .object({
    customer_id: requiredText,
    frequency: nonNegativeNumberCell.refine(Number.isInteger, { message: "must be a whole number of repeat purchases" }),
    recency: nonNegativeNumberCell,
    T: nonNegativeNumberCell,
    monetary_value: nonNegativeNumberCell.optional(),
  })
  .refine((r) => r.recency <= r.T, { message: "recency must not exceed T", path: ["recency"] })
  .refine((r) => r.frequency > 0 || r.recency === 0, { message: "must be 0 when frequency is 0", path: ["recency"] })
  .transform((r) => ({
    contactId: r.customer_id,
    summary: { frequency: r.frequency, recency: r.recency, T: r.T, ...(r.monetary_value !== undefined && { monetaryValue: r.monetary_value }) },
  }));
