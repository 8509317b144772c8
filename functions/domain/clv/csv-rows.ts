// zod's tree-shakable API: the header's schema costs `clv fit` ~20 KB to load, where the full API's ~750 KB cost ~0.2 s of CPU a run.
import * as z from "zod/mini";
import { CellProblem, dateValue, decimalValue, isoDateMs, isPlainText, numberValue, plainDecimal, textValue } from "../input/cell-checks.js";
import type { RowError } from "../input/row-errors.js";
import type { CustomerSummary, SummaryFold } from "./customer-summary.js";
import { entersSpendFit } from "./gamma-gamma.js";
import type { Order, OrderFold } from "./order-history.js";
import { isCurrency, roundToMinorUnit } from "../store/money.js";

/**
 * The files `clv score` and `clv fit` read, as a shape checked once per file (zod, on the header) and a
 * row reader that checks each cell with a plain function: a million rows are read without a zod
 * parse or a record object per row. The messages are those of the cell checks in cell-checks.ts.
 */
export interface CsvRowReader<T> {
  /** The header, checked once: the columns the file must have. */
  readonly header: z.ZodMiniType<string[]>;
  /** The columns the reader looks at, in the order `read` gets their cells. */
  readonly columns: readonly string[];
  /**
   * One row: `cells[k]` is the cell of `columns[k]`, undefined when the file has no such column or
   * the row is short. Each problem goes to `errors`; the value is returned only when there is none.
   */
  read(cells: readonly (string | undefined)[], row: number, errors: RowError[]): T | undefined;
}

/**
 * A reader that folds each good row into what it builds (a summary table, contact histories) and
 * keeps no row: a million rows cost no million objects.
 */
export interface CsvRowFold {
  readonly header: z.ZodMiniType<string[]>;
  readonly columns: readonly string[];
  /** One row, as CsvRowReader.read gets it: folded when good (true), its problems to `errors` when not. */
  add(cells: readonly (string | undefined)[], row: number, errors: RowError[]): boolean;
  /**
   * The fast way for a row whose every cell is plain (no space to trim, a plain decimal, an ISO date):
   * the cell of `columns[k]` is text[spans[2k], spans[2k + 1]), -1 both when the row has none. Folds the
   * row and says true only when it is good; false leaves it to `add`, which then says what is wrong,
   * so a row's fate and messages are add's either way.
   */
  addSpans?(text: string, spans: Int32Array, row: number): boolean;
}

/** Delimiters a file may have been written with, for saying which one a one-column header is split by. */
const OTHER_DELIMITERS = [";", "\t", "|", ","];
const delimiterName = (d: string) => (d === "\t" ? "tab" : `'${d}'`);

/** A header with each of `required` once. A header that is one cell holding another delimiter says which. */
export function csvHeader(required: readonly string[], delimiter = ","): z.ZodMiniType<string[]> {
  return z.array(z.string()).check(
    z.superRefine((columns, ctx) => {
      const other = columns.length === 1 ? OTHER_DELIMITERS.find((d) => d !== delimiter && columns[0]!.includes(d)) : undefined;
      if (other !== undefined) {
        ctx.addIssue({ code: "custom", message: `a ${delimiterName(other)}-separated file: use --delimiter ${other === "\t" ? "tab" : `'${other}'`}` });
        return;
      }
      const missing = required.filter((name) => !columns.includes(name));
      if (missing.length > 0) {
        const named = missing.map((name) => `"${name}"`).join(", ");
        ctx.addIssue({ code: "custom", message: `no column${missing.length > 1 ? "s" : ""} ${named}; the columns are ${columns.length > 0 ? columns.join(", ") : "(none: the file is empty)"}` });
      }
      for (const name of required) {
        const times = columns.filter((c) => c === name).length;
        if (times > 1) ctx.addIssue({ code: "custom", message: `the column "${name}" appears ${times} times` });
      }
    }),
  );
}

/** Keeps a cell's value, or records its problem; says whether the value is good. */
function checked<T>(value: T | CellProblem, field: string, row: number, errors: RowError[]): value is T {
  if (!(value instanceof CellProblem)) return true;
  errors.push({ row, field, message: value.message });
  return false;
}

const MISSING = new CellProblem("is missing");
const text = (cell: string | undefined) => (cell === undefined ? MISSING : textValue(cell));
const number = (cell: string | undefined) => (cell === undefined ? MISSING : numberValue(cell));

/**
 * The columns `clv score` reads: the four it needs, then those that change what an order counts for,
 * read only when the file has them (an export from the store's platform often does): its currency with
 * `exchange_rate` or `total_in_store_currency` (as the import takes them), its `status` (cancelled and
 * refunded orders count for nothing) and `refunded_amount` (refunded to date, which lowers its total).
 */
const ORDER_COLUMNS = ["order_id", "customer_id", "created_at", "total", "currency", "exchange_rate", "total_in_store_currency", "status", "refunded_amount"] as const;

/** What a file's cancellations and refunds took out: orders not counted, and what lowered the revenue. */
export interface OrdersNotCounted {
  /** Orders counted for nothing: cancelled, or refunded whole (by status or by refunded_amount). */
  cancelled: number;
  refunded: number;
  /** Orders counted at a lower total because of refunded_amount, and what was taken off (store currency). */
  partlyRefunded: number;
  refundedAmount: number;
  /** Credit notes (a negative total: a refund without its order, as Online Retail's C-invoices), and what they took off. */
  creditNotes: number;
  credited: number;
}

const present = (cell: string | undefined): cell is string => cell !== undefined && cell.trim() !== "";

/**
 * The currency a file's amounts are counted in: `code` when given (`--currency`); with `fromFile` and no
 * code, the currency of the first row that names a known one, which then holds for every row, so a file
 * in pounds is scored in pounds rather than labelled euros.
 */
export interface AmountsCurrency {
  code?: string;
  fromFile?: boolean;
}

/**
 * One order row's worth in the store's currency: its total, converted when it is in another currency
 * (its rate or its total in the store's currency, as the import takes them; without either it is refused
 * naming the currency), less what was refunded of it; null for an order that counts for nothing
 * (cancelled, or refunded whole). Without `amounts` the currency column is not looked at.
 */
function orderWorth(cells: readonly (string | undefined)[], total: number, row: number, errors: RowError[], amounts: AmountsCurrency | undefined, notCounted?: OrdersNotCounted): number | null | undefined {
  const before = errors.length;
  let status = "placed";
  if (present(cells[7])) {
    status = cells[7].trim().toLowerCase();
    if (status !== "placed" && status !== "cancelled" && status !== "refunded") errors.push({ row, field: "status", message: `expected placed, cancelled or refunded, got ${JSON.stringify(cells[7])}` });
  }
  let rate = 1;
  let converted: number | undefined;
  const currency = present(cells[4]) ? cells[4].trim().toUpperCase() : undefined;
  if (amounts?.fromFile && amounts.code === undefined && currency !== undefined && isCurrency(currency)) amounts.code = currency;
  const storeCurrency = amounts?.code;
  if (amounts !== undefined && currency !== undefined && !isCurrency(currency)) errors.push({ row, field: "currency", message: `is not a currency we know (ISO 4217, such as ${storeCurrency ?? "EUR"})` });
  else if (storeCurrency !== undefined && currency !== undefined && currency !== storeCurrency) {
    if (present(cells[6])) {
      const inStore = numberValue(cells[6]);
      if (checked(inStore, "total_in_store_currency", row, errors)) {
        if (inStore < 0 !== total < 0) errors.push({ row, field: "total_in_store_currency", message: total < 0 ? "must be negative, as the credit note's total is" : "must not be negative" });
        converted = inStore;
        rate = total !== 0 ? inStore / total : 1;
      }
    } else if (present(cells[5])) {
      const given = numberValue(cells[5]);
      if (checked(given, "exchange_rate", row, errors)) {
        if (!(given > 0)) errors.push({ row, field: "exchange_rate", message: `must be more than 0 (${storeCurrency} per ${currency})` });
        rate = given;
        converted = roundToMinorUnit(total * given, storeCurrency);
      }
    } else {
      const why = amounts?.fromFile ? "the currency of the file's first order" : "--currency";
      errors.push({ row, field: "currency", message: `is ${currency} but the scores are in ${storeCurrency} (${why}): give the row exchange_rate (${storeCurrency} per ${currency}) or total_in_store_currency, or score with --currency ${currency}` });
    }
  }
  let refunded = 0;
  if (present(cells[8])) {
    const value = numberValue(cells[8]);
    if (checked(value, "refunded_amount", row, errors)) {
      if (total < 0) errors.push({ row, field: "refunded_amount", message: "a credit note (a negative total) is a refund itself: give the refund as refunded_amount of the order it refunds, or as a credit note, not both" });
      else if (value < 0) errors.push({ row, field: "refunded_amount", message: "must be 0 or more: what was refunded of the order to date" });
      else if (value > total) errors.push({ row, field: "refunded_amount", message: `is ${value} but the order's total is ${total}: at most the total can be refunded` });
      refunded = value;
    }
  }
  if (errors.length > before) return undefined;
  if (status === "cancelled" || status === "refunded" || (refunded > 0 && refunded === total)) {
    if (notCounted) notCounted[status === "cancelled" ? "cancelled" : "refunded"]++;
    return null;
  }
  const worth = converted ?? total;
  if (worth < 0 && notCounted) {
    notCounted.creditNotes++;
    notCounted.credited -= worth;
  }
  if (refunded === 0) return worth;
  const refundedInStore = converted === undefined ? refunded : refunded * rate;
  const net = storeCurrency === undefined ? worth - refundedInStore : roundToMinorUnit(worth - refundedInStore, storeCurrency);
  if (notCounted) {
    notCounted.partlyRefunded++;
    notCounted.refundedAmount += worth - net;
  }
  return net;
}

/**
 * An orders CSV: `order_id,customer_id,created_at,total` and, when the file has them, `currency`,
 * `exchange_rate`, `total_in_store_currency`, `status` and `refunded_amount` (orderWorth; other columns
 * are ignored). A row for an order that counts for nothing (cancelled, refunded whole) is read as
 * good and not returned: `read` gives undefined with no error.
 */
export function orderRows(delimiter = ",", amounts?: AmountsCurrency, notCounted?: OrdersNotCounted): CsvRowReader<Order> {
  return {
    header: csvHeader(ORDER_COLUMNS.slice(0, 4), delimiter),
    columns: ORDER_COLUMNS,
    read(cells, row, errors) {
      const orderId = text(cells[0]);
      const contactId = text(cells[1]);
      const createdAt = cells[2] === undefined ? MISSING : dateValue(cells[2]);
      // A negative total is a credit note: it lowers the contact's revenue and is no purchase (OrderFold).
      const total = number(cells[3]);
      const before = errors.length;
      checked(orderId, "order_id", row, errors);
      checked(contactId, "customer_id", row, errors);
      checked(createdAt, "created_at", row, errors);
      const worth = checked(total, "total", row, errors) ? orderWorth(cells, total, row, errors, amounts, notCounted) : undefined;
      if (errors.length > before || worth === undefined || worth === null) return undefined;
      return { orderId: orderId as string, contactId: contactId as string, createdAt: createdAt as number, total: worth };
    },
  };
}

/** Whether a row's optional cells (orderWorth's) leave its total as it is: none there, or plain ones that change nothing. */
function plainWorth(text: string, spans: Int32Array, amounts: AmountsCurrency | undefined): boolean {
  for (let k = 10; k < 18; k += 2) if (spans[k]! < spans[k + 1]!) return false;
  // The currency: none, or the store's (another goes to add, for its conversion or its message, and the
  // first one of a file whose currency is its own, to be taken).
  const from = spans[8]!;
  const to = spans[9]!;
  if (from >= to || amounts === undefined) return true;
  const code = amounts.code;
  return code !== undefined && to - from === code.length && text.startsWith(code, from);
}

/** An orders CSV folded into contact histories as it is read (the checks and messages of orderRows). */
export function orderFoldRows(fold: OrderFold, delimiter = ",", amounts?: AmountsCurrency): CsvRowFold & { readonly notCounted: OrdersNotCounted } {
  const notCounted: OrdersNotCounted = { cancelled: 0, refunded: 0, partlyRefunded: 0, refundedAmount: 0, creditNotes: 0, credited: 0 };
  const reader = orderRows(delimiter, amounts, notCounted);
  return {
    header: reader.header,
    columns: reader.columns,
    notCounted,
    add(cells, row, errors) {
      const before = errors.length;
      const order = reader.read(cells, row, errors);
      if (order === undefined) return errors.length === before;
      fold.add(order.contactId, order.createdAt, order.total);
      return true;
    },
    addSpans(text, spans) {
      if (!isPlainText(text, spans[0]!, spans[1]!) || !isPlainText(text, spans[2]!, spans[3]!)) return false;
      if (!plainWorth(text, spans, amounts)) return false;
      const createdAt = isoDateMs(text, spans[4]!, spans[5]!);
      const total = plainDecimal(text, spans[6]!, spans[7]!);
      // NaN (not a plain cell) goes to add, for its message, and a credit note (a negative total), to be counted.
      if (createdAt !== createdAt || !(total >= 0)) return false;
      fold.addSpan(text, spans[2]!, spans[3]!, createdAt, total);
      return true;
    },
  };
}

const SUMMARY_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary_value", "litt"] as const;

/**
 * A summary CSV for `clv fit`: `customer_id,frequency,recency,T[,monetary_value][,litt]`, in any one time
 * unit; litt (BTYDplus's name) is the sum of the logs of the times between purchases, which MBG/CNBD-k
 * chooses its regularity by, 0 for a contact without repeats.
 */
export function summaryRows(delimiter = ","): CsvRowReader<CustomerSummary> {
  const values = new Float64Array(5);
  return {
    header: csvHeader(SUMMARY_COLUMNS.slice(0, 4), delimiter),
    columns: SUMMARY_COLUMNS,
    read(cells, row, errors) {
      if (!readSummary(cells, row, errors, values)) return undefined;
      const summary: CustomerSummary = { frequency: values[0]!, recency: values[1]!, T: values[2]! };
      if (cells[4] !== undefined) summary.monetaryValue = values[3]!;
      if (cells[5] !== undefined) summary.logInterPurchaseTimes = values[4]!;
      return summary;
    },
  };
}

/**
 * A summary CSV (as summaryRows reads it) folded into a table as it is read, no object per row. With
 * `spend`, the table is Gamma-Gamma's: the rows that enter its fit (entersSpendFit), folded on
 * frequency and monetary value alone, all its likelihood reads (a million contacts make ~140,000 rows
 * there instead of ~600,000).
 */
export function summaryFoldRows(fold: SummaryFold, options: { spend?: boolean; delimiter?: string } = {}): CsvRowFold {
  const values = new Float64Array(5);
  return {
    header: csvHeader(SUMMARY_COLUMNS.slice(0, 4), options.delimiter),
    columns: SUMMARY_COLUMNS,
    add(cells, row, errors) {
      if (!readSummary(cells, row, errors, values)) return false;
      const litt = cells[5] === undefined ? undefined : values[4]!;
      if (!options.spend) fold.add(values[0]!, values[1]!, values[2]!, values[3]!, litt);
      else if (entersSpendFit(values[0]!, values[3]!)) fold.add(values[0]!, 0, 0, values[3]!, litt);
      return true;
    },
    addSpans(text, spans) {
      if (!isPlainText(text, spans[0]!, spans[1]!)) return false;
      const frequency = decimalValue(text, spans[2]!, spans[3]!);
      // Gamma-Gamma reads no recency or T: when both are whole numbers in order (recency 0 without
      // repeats), as readSummary would find them, they are checked as digits and not read as numbers.
      if (options.spend && wholeNumbersInOrder(text, spans, frequency > 0)) {
        const monetaryValue = spans[8]! < 0 ? 0 : decimalValue(text, spans[8]!, spans[9]!);
        const hasLitt = spans[10]! >= 0;
        const litt = hasLitt ? decimalValue(text, spans[10]!, spans[11]!) : 0;
        if (!(Number.isInteger(frequency) && frequency >= 0 && monetaryValue >= 0 && litt === litt && (frequency > 0 || litt === 0))) return false;
        if (entersSpendFit(frequency, monetaryValue)) fold.add(frequency, 0, 0, monetaryValue, hasLitt ? litt : undefined);
        return true;
      }
      const recency = decimalValue(text, spans[4]!, spans[5]!);
      const T = decimalValue(text, spans[6]!, spans[7]!);
      // Without the column, as readSummary: monetary value 0, no litt.
      const monetaryValue = spans[8]! < 0 ? 0 : decimalValue(text, spans[8]!, spans[9]!);
      const hasLitt = spans[10]! >= 0;
      const litt = hasLitt ? decimalValue(text, spans[10]!, spans[11]!) : 0;
      // readSummary's checks, each passed (NaN fails them all): anything else goes to add, for its messages.
      const good = Number.isInteger(frequency) && frequency >= 0 && recency >= 0 && T >= 0 && monetaryValue >= 0 && litt === litt && recency <= T && (frequency > 0 || recency === 0) && (frequency > 0 || litt === 0);
      if (!good) return false;
      if (!options.spend) fold.add(frequency, recency, T, monetaryValue, hasLitt ? litt : undefined);
      else if (entersSpendFit(frequency, monetaryValue)) fold.add(frequency, 0, 0, monetaryValue, hasLitt ? litt : undefined);
      return true;
    },
  };
}

/**
 * Whether the recency and T cells (spans 4–7) are digits alone without a leading zero (so whole numbers,
 * which readSummary reads as numbers ≥ 0) with recency ≤ T, and recency 0 when there are no repeats:
 * compared by length, then digit by digit. False for anything else (a point, a sign, a space), which
 * is then read as numbers.
 */
function wholeNumbersInOrder(text: string, spans: Int32Array, repeats: boolean): boolean {
  const recencyFrom = spans[4]!;
  const recencyTo = spans[5]!;
  const TFrom = spans[6]!;
  const TTo = spans[7]!;
  const recencyLength = recencyTo - recencyFrom;
  const TLength = TTo - TFrom;
  if (recencyLength <= 0 || TLength <= 0 || recencyLength > TLength) return false;
  if (!repeats && (recencyLength !== 1 || text.charCodeAt(recencyFrom) !== 48)) return false;
  if ((recencyLength > 1 && text.charCodeAt(recencyFrom) === 48) || (TLength > 1 && text.charCodeAt(TFrom) === 48)) return false;
  for (let i = recencyFrom; i < recencyTo; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  for (let i = TFrom; i < TTo; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  if (recencyLength < TLength) return true;
  for (let i = 0; i < recencyLength; i++) {
    const r = text.charCodeAt(recencyFrom + i);
    const t = text.charCodeAt(TFrom + i);
    if (r !== t) return r < t;
  }
  return true;
}

/**
 * Checks one summary row's cells; when all is well, puts frequency, recency, T, monetary value (0
 * without the column) and litt (0 without it) in `values` and says true; else each problem to `errors`.
 */
function readSummary(cells: readonly (string | undefined)[], row: number, errors: RowError[], values: Float64Array): boolean {
  const monetaryCell = cells[4];
  const before = errors.length;
  const contactId = text(cells[0]);
  checked(contactId, "customer_id", row, errors);
  const frequency = number(cells[1]);
  if (checked(frequency, "frequency", row, errors)) {
    if (frequency < 0) errors.push({ row, field: "frequency", message: "must not be negative" });
    if (!Number.isInteger(frequency)) errors.push({ row, field: "frequency", message: "must be a whole number of repeat purchases" });
  }
  const recency = nonNegative(number(cells[2]), "recency", row, errors);
  const T = nonNegative(number(cells[3]), "T", row, errors);
  const monetaryValue = monetaryCell === undefined ? 0 : nonNegative(numberValue(monetaryCell), "monetary_value", row, errors);
  const litt = cells[5] === undefined ? 0 : numberValue(cells[5]);
  checked(litt, "litt", row, errors);
  // The checks across cells, when every cell is a number (as zod runs an object's refinements).
  const parsed = contactId !== MISSING && typeof frequency === "number" && typeof recency === "number" && typeof T === "number" && typeof monetaryValue === "number";
  if (parsed) {
    if (recency > T) errors.push({ row, field: "recency", message: "recency must not exceed T" });
    if (!(frequency > 0 || recency === 0)) errors.push({ row, field: "recency", message: "must be 0 when frequency is 0" });
    if (frequency === 0 && typeof litt === "number" && litt !== 0) errors.push({ row, field: "litt", message: "must be 0 when frequency is 0: there is no time between purchases" });
  }
  if (!parsed || errors.length > before) return false;
  values[0] = frequency;
  values[1] = recency;
  values[2] = T;
  values[3] = monetaryValue;
  values[4] = litt as number;
  return true;
}

/** A number that must not be negative: its value (a negative one too, as zod's refinement keeps it) or its problem. */
function nonNegative(value: number | CellProblem, field: string, row: number, errors: RowError[]): number | CellProblem {
  if (!checked(value, field, row, errors)) return value;
  if (value < 0) errors.push({ row, field, message: "must not be negative" });
  return value;
}
