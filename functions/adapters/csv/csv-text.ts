import { stringify } from "csv-stringify/sync";

/**
 * Text cells a spreadsheet would run as a formula: OWASP's CSV injection guidance lists a leading
 * `=`, `+`, `-`, `@`, tab and carriage return (`=HYPERLINK(…)`, `+cmd|…`, `@SUM(A1)`).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A text cell made safe to open in a spreadsheet: one that would start a formula gets a leading `'`
 * (OWASP), which Excel, LibreOffice and Google Sheets show as text and do not run.
 *
 * Only text is neutralised. A number cell is written as JavaScript prints it (`-3.5`): a spreadsheet
 * reads a negative number as a number, never as a formula, so a refund or a negative figure stays a
 * number that sums. A contact id or name that merely looks like one ("-42") is text and gets its `'`.
 */
export function neutralisedCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * Every CSV this system writes (segment exports, scores) goes through here: rows to CSV text with
 * numbers as JavaScript prints them, empty cells for null and undefined, and every text cell
 * neutralised against formula injection.
 */
export function csvText(rows: readonly (readonly unknown[])[], options: { header?: readonly string[] } = {}): string {
  return stringify(options.header ? [[...options.header], ...rows.map((r) => [...r])] : rows.map((r) => [...r]), {
    cast: { number: (n) => String(n), string: neutralisedCell },
  });
}
