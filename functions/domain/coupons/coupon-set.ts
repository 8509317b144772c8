import { z } from "zod";

/**
 * A coupon set: single-use codes a reactivation workflow hands out, one per contact, until the set
 * expires or runs out. What is parsed here comes from the CLI, the HTTP API and codes CSV files.
 */

const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A date and time with seconds optional, fractions optional, and a zone (Z or ±hh:mm). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const CONTROL_OR_SPACE = /[\s\u0000-\u001f\u007f]/;

/** A set's id: what the workflow definition names. Safe inside a DynamoDB key. */
export const CouponSetId = z
  .string({ error: "is missing" })
  .trim()
  .min(1, { message: "is empty", abort: true })
  .max(64, "is longer than 64 characters")
  .refine((s) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s), "must be letters, digits, '.', '_' or '-'");

/** One single-use code as the shop system generated it; kept exactly as given (codes are case-sensitive). */
export const CouponCode = z
  .string({ error: "is missing" })
  .trim()
  .min(1, "is empty")
  .max(64, "is longer than 64 characters")
  .refine((s) => !CONTROL_OR_SPACE.test(s), "contains spaces or control characters");

/**
 * When a set's codes stop being valid, as an ISO time. A date alone means the codes are good through
 * that whole day (UTC): "expires 2024-12-31" is what a shop prints on a coupon, and it means the 31st
 * still counts, so the set expires at 2025-01-01T00:00:00Z.
 */
export function parseExpiry(text: string): number {
  const trimmed = text.trim();
  if (ISO_DATE.test(trimmed)) {
    const midnight = Date.parse(`${trimmed}T00:00:00Z`);
    // Date.parse rolls 2024-02-30 over to March 1st; a date that does not come back unchanged is not a date.
    if (!Number.isFinite(midnight) || new Date(midnight).toISOString().slice(0, 10) !== trimmed) return Number.NaN;
    return midnight + DAY_MS;
  }
  return ISO_TIME.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
}

/** An expiry as given to the CLI or the API, as the ISO time it is stored as; `now` refuses one already past. */
export function expiryInput(now: () => number = Date.now) {
  return z.string({ error: "is missing" }).transform((text, ctx) => {
    const ms = parseExpiry(text);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: "custom", message: `expected a date like 2024-12-31 (valid through that day, UTC) or a time like 2024-12-31T23:59:59Z, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    if (ms <= now()) {
      ctx.addIssue({ code: "custom", message: `is in the past (${new Date(ms).toISOString()}): the set's codes could never be handed out` });
      return z.NEVER;
    }
    return new Date(ms).toISOString();
  });
}

/** A stock alarm fires at this many codes left or fewer (see coupon-stock.ts). */
export const LowStockThreshold = z
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(0, "must not be negative")
  .max(100_000_000, "is implausibly large");

/** What creating (or changing) a set takes; name and threshold keep their stored values when left out. */
export interface CouponSetDefinition {
  id: string;
  name?: string;
  /** ISO time; from then on the set hands out nothing. */
  expiresAt: string;
  lowStockThreshold?: number;
}

/** What the marketer calls the set ("Win-back 15 % off"); the id when not given. */
export const CouponSetName = z
  .string({ error: "must be text" })
  .trim()
  .min(1, "is empty")
  .max(100, "is longer than 100 characters")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "contains control characters");

/** A set's definition as given to the CLI or the API. */
export function couponSetInput(now: () => number = Date.now) {
  return z.strictObject({
    id: CouponSetId,
    name: CouponSetName.optional(),
    expiresAt: expiryInput(now),
    lowStockThreshold: LowStockThreshold.optional(),
  }) satisfies z.ZodType<CouponSetDefinition>;
}

/** A row of a codes CSV file: a `code` column; other columns (a shop's export has several) are ignored. */
export const CouponCodeRow = z.object({ code: CouponCode });

/** Codes in one HTTP request: the API's body limit (256 KB) allows some 10,000; files go through the CLI or the upload. */
export const MAX_CODES_PER_REQUEST = 10_000;

/** POST /coupon-sets/{id}/codes body: the set's definition and codes to add to it. */
export function couponCodesBody(now: () => number = Date.now) {
  return z.strictObject({
    name: CouponSetName.optional(),
    expiresAt: expiryInput(now),
    lowStockThreshold: LowStockThreshold.optional(),
    codes: z
      .array(CouponCode, { error: "must be an array of codes" })
      .min(1, "needs at least one code")
      .max(MAX_CODES_PER_REQUEST, `has more than ${MAX_CODES_PER_REQUEST} codes: send them in several requests`),
  });
}
export type CouponCodesBody = z.output<ReturnType<typeof couponCodesBody>>;
