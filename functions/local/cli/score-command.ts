import { writeFileSync } from "node:fs";
import type { ContactScores } from "../../domain/clv/contact-scores.js";
import { orderFoldRows, type AmountsCurrency, type OrdersNotCounted } from "../../domain/clv/csv-rows.js";
import { OrderFold } from "../../domain/clv/order-history.js";
import { scoreHistories, type StoreScores } from "../../domain/clv/score-store.js";
import type { RowError } from "../../domain/input/row-errors.js";
import { CsvFileError, foldRows, noRowsError } from "./read-rows.js";

export { rowErrorLines } from "./read-rows.js";
import { SCORE_COLUMNS } from "../../adapters/csv/segment-csv.js";
import { csvText } from "../../adapters/csv/csv-text.js";
import { DEFAULT_STORE_CURRENCY, formatAmount } from "../../domain/store/money.js";

/** The output columns: `customer_id`, `currency`, then every figure, as in a segment export. */
export { SCORE_COLUMNS };

export interface ScoreFileResult extends StoreScores {
  errors: RowError[];
  orders: number;
  /** The currency every amount is in: the one given, or the file's own when none was. */
  currency: string;
  currencyFromFile: boolean;
  /** Good rows that count for nothing or for less: cancelled, refunded whole, partly refunded. */
  notCounted: OrdersNotCounted;
}

/**
 * Reads an orders CSV and scores its contacts as of a date, every amount in `currency` (the store's), or,
 * when none is given, in the currency of the file's first order that names one (DEFAULT_STORE_CURRENCY
 * for a file without a currency column): bad rows are reported and skipped (or stop the run with `strict`).
 */
export async function scoreOrdersFile(path: string, asOf: number, options: { strict?: boolean; progress?: boolean; delimiter?: string; currency?: string } = {}): Promise<ScoreFileResult> {
  // Folded into the contacts' histories as read: no object kept per order.
  const fold = new OrderFold(asOf);
  const amounts: AmountsCurrency = options.currency ? { code: options.currency } : { fromFile: true };
  const rowFold = orderFoldRows(fold, options.delimiter, amounts);
  const { rows, errors } = await foldRows(path, rowFold, options);
  if (rows === 0) throw noRowsError(path, errors, "orders to score");
  const scored = scoreHistories(fold.histories(), asOf);
  if (scored.scores.length === 0) {
    const day = new Date(asOf).toISOString().slice(0, 10);
    if (fold.ordersAfterAsOf === rows) throw new CsvFileError(path, `no contacts to score as of ${day}: all ${rows} orders are later; give a later --as-of`);
    const later = fold.ordersAfterAsOf > 0 ? `${fold.ordersAfterAsOf} of them later than ${day}, ` : "";
    throw new CsvFileError(path, `no contacts to score as of ${day}: none of the file's ${rows} good rows is a purchase by then (${later}the rest credit notes, cancelled or refunded orders)`);
  }
  const currencyFromFile = !options.currency && amounts.code !== undefined;
  return { ...scored, errors, orders: rows, notCounted: { ...rowFold.notCounted }, currency: amounts.code ?? DEFAULT_STORE_CURRENCY, currencyFromFile };
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** What a file's cancellations and refunds took out of the scores, a line; none when there were none. */
export function notCountedLine(notCounted: OrdersNotCounted, currency: string): string | undefined {
  const { cancelled, refunded, partlyRefunded, refundedAmount, creditNotes, credited } = notCounted;
  if (cancelled + refunded + partlyRefunded + creditNotes === 0) return undefined;
  const parts = [];
  if (cancelled + refunded > 0) parts.push(`${plural(cancelled + refunded, "order")} not counted (${cancelled} cancelled, ${refunded} refunded whole)`);
  if (partlyRefunded > 0) parts.push(`${partlyRefunded} counted net of partial refunds (${formatAmount(refundedAmount, currency)} in all)`);
  if (creditNotes > 0) parts.push(`${plural(creditNotes, "credit note")} netted from their contacts' revenue (${formatAmount(credited, currency)})`);
  return `Cancellations and refunds: ${parts.join("; ")}`;
}

/** One row per contact, each naming the currency its amounts are in (the store's; DEFAULT_STORE_CURRENCY when not given). */
export function writeScoresCsv(path: string, scores: readonly ContactScores[], currency: string = DEFAULT_STORE_CURRENCY): void {
  const records = scores.map((s) => [s.contactId, currency, ...SCORE_COLUMNS.map((c) => s[c])]);
  writeFileSync(path, csvText(records, { header: ["customer_id", "currency", ...SCORE_COLUMNS] }));
}
