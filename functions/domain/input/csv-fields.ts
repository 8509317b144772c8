import { z } from "zod";
import { CellProblem, CONTROL, dateValue, HAS_CONTROL, IS_EMPTY, numberValue } from "./cell-checks.js";

/**
 * Field parsers for CSV cells as zod schemas, each over a plain check of cell-checks.ts (which the
 * fast file readers call per cell), so both say the same.
 */
export { CellProblem, dateValue, isoDateMs, numberValue, textValue } from "./cell-checks.js";

export const requiredText = z
  .string({ error: "is missing" })
  .transform((s) => s.trim())
  .refine((s) => s.length > 0, { message: IS_EMPTY.message })
  .refine((s) => !CONTROL.test(s), { message: HAS_CONTROL.message });

/** A zod schema for a cell from one of the checks above. */
function cellSchema<T>(check: (text: string) => T | CellProblem) {
  return z.string({ error: "is missing" }).transform((text, ctx) => {
    const value = check(text);
    if (value instanceof CellProblem) {
      ctx.addIssue({ code: "custom", message: value.message });
      return z.NEVER;
    }
    return value as T;
  });
}

export const numberCell = cellSchema(numberValue);

export const nonNegativeNumberCell = numberCell.refine((n) => n >= 0, { message: "must not be negative" });

/** A real calendar date or date-time (ISO 8601, or YYYY-MM-DD meaning midnight UTC) as epoch ms. */
export const dateCell = cellSchema(dateValue);
