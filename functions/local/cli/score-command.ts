import { writeFileSync } from "node:fs";
import { stringify } from "csv-stringify/sync";
import type { ContactScores } from "../../domain/clv/contact-scores.js";
import { OrderRow } from "../../domain/clv/csv-rows.js";
import { scoreStore, type StoreScores } from "../../domain/clv/score-store.js";
import { formatRowError, type RowError } from "../../domain/input/row-errors.js";
import { readRows } from "./read-rows.js";
import { SCORE_COLUMNS } from "../../adapters/csv/segment-csv.js";

/** The output columns: `customer_id` then every figure, the same as a segment export's. */
export { SCORE_COLUMNS };

export interface ScoreFileResult extends StoreScores {
  errors: RowError[];
  orders: number;
}

/** Reads an orders CSV and scores its contacts as of a date; bad rows are reported and skipped (or stop the run with `strict`). */
export async function scoreOrdersFile(path: string, asOf: number, options: { strict?: boolean; progress?: boolean } = {}): Promise<ScoreFileResult> {
  const { rows, errors } = await readRows(path, OrderRow, options);
  return { ...scoreStore(rows, asOf), errors, orders: rows.length };
}

export function writeScoresCsv(path: string, scores: readonly ContactScores[]): void {
  const records = scores.map((s) => [s.contactId, ...SCORE_COLUMNS.map((c) => s[c])]);
  writeFileSync(path, stringify(records, { header: true, columns: ["customer_id", ...SCORE_COLUMNS], cast: { number: (n) => String(n) } }));
}

export function rowErrorLines(errors: readonly RowError[], limit = 20): string[] {
  const lines = errors.slice(0, limit).map(formatRowError);
  if (errors.length > limit) lines.push(`… and ${errors.length - limit} more bad rows`);
  return lines;
}
