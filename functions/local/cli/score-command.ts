import { writeFileSync } from "node:fs";
import type { ContactScores } from "../../domain/clv/contact-scores.js";
import { orderFoldRows } from "../../domain/clv/csv-rows.js";
import { OrderFold } from "../../domain/clv/order-history.js";
import { scoreHistories, type StoreScores } from "../../domain/clv/score-store.js";
import type { RowError } from "../../domain/input/row-errors.js";
import { CsvFileError, foldRows, noRowsError } from "./read-rows.js";

export { rowErrorLines } from "./read-rows.js";
import { SCORE_COLUMNS } from "../../adapters/csv/segment-csv.js";
import { csvText } from "../../adapters/csv/csv-text.js";
import { DEFAULT_STORE_CURRENCY } from "../../domain/store/money.js";

/** The output columns: `customer_id`, `currency`, then every figure, as in a segment export. */
export { SCORE_COLUMNS };

export interface ScoreFileResult extends StoreScores {
  errors: RowError[];
  orders: number;
}

/** Reads an orders CSV and scores its contacts as of a date; bad rows are reported and skipped (or stop the run with `strict`). */
export async function scoreOrdersFile(path: string, asOf: number, options: { strict?: boolean; progress?: boolean; delimiter?: string } = {}): Promise<ScoreFileResult> {
  // Folded into the contacts' histories as read: no object kept per order.
  const fold = new OrderFold(asOf);
  const { rows, errors } = await foldRows(path, orderFoldRows(fold, options.delimiter), options);
  if (rows === 0) throw noRowsError(path, errors, "orders to score");
  const scored = scoreHistories(fold.histories(), asOf);
  if (scored.scores.length === 0) throw new CsvFileError(path, `no contacts to score as of ${new Date(asOf).toISOString().slice(0, 10)}: all ${rows} orders are later; give a later --as-of`);
  return { ...scored, errors, orders: rows };
}

/** One row per contact, each naming the currency its amounts are in (the store's; DEFAULT_STORE_CURRENCY when not given). */
export function writeScoresCsv(path: string, scores: readonly ContactScores[], currency: string = DEFAULT_STORE_CURRENCY): void {
  const records = scores.map((s) => [s.contactId, currency, ...SCORE_COLUMNS.map((c) => s[c])]);
  writeFileSync(path, csvText(records, { header: ["customer_id", "currency", ...SCORE_COLUMNS] }));
}
