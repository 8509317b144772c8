import { z } from "zod";
import { parseCalendarTime } from "./calendar-time.js";

/**
 * Field parsers for CSV cells, which arrive as text: each says what it expected and shows what it got,
 * since "expected number, received string" helps nobody fix a spreadsheet.
 */
const shown = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

export const requiredText = z
  .string({ error: "is missing" })
  .transform((s) => s.trim())
  .refine((s) => s.length > 0, { message: "is empty" })
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { message: "contains control characters" });

export const numberCell = z.string({ error: "is missing" }).transform((text, ctx) => {
  const trimmed = text.trim();
  const value = trimmed === "" ? Number.NaN : Number(trimmed);
  if (!Number.isFinite(value)) {
    ctx.addIssue({ code: "custom", message: `expected a number, got ${shown(text)}` });
    return z.NEVER;
  }
  return value;
});

export const nonNegativeNumberCell = numberCell.refine((n) => n >= 0, { message: "must not be negative" });

/** A real calendar date or date-time (ISO 8601, or YYYY-MM-DD meaning midnight UTC) as epoch ms. */
export const dateCell = z.string({ error: "is missing" }).transform((text, ctx) => {
  const time = parseCalendarTime(text.trim());
  if ("error" in time) {
    ctx.addIssue({ code: "custom", message: time.error });
    return z.NEVER;
  }
  return time.ms;
});
