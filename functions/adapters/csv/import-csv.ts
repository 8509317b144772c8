import { SingleBar } from "cli-progress";
import type { z } from "zod";
import type { ContactWrite } from "../dynamodb/dynamodb-store.js";
import { checkEncoding, CsvFileError, csvRecords, fileSource, type CsvEncoding, type CsvSource } from "./csv-records.js";
import { numberCell } from "../../domain/input/csv-fields.js";
import { DEFAULT_STORE_CURRENCY, formatAmount } from "../../domain/store/money.js";
import { decimalSum } from "../dynamodb/order-summary.js";
import type { RowError } from "../../domain/input/row-errors.js";
import { ContactId, contactInput, type ContactInput } from "../../domain/store/contact.js";
import type { ProfileSource } from "../../domain/store/contact-update.js";
import { orderInput, type OrderInput } from "../../domain/store/order.js";
import type { OrderOutcome } from "../../domain/store/ports.js";
import { contendedMessage, lateRefundMessage, refundTaken, summaryFullMessage, type RefundChange } from "../../domain/store/record-order.js";
import { describeDifferences, type OrderDifference } from "../../domain/store/order-conflict.js";

/** A contact as a row of a contacts file gives it. */
export interface ContactRow {
  contactId: string;
  contact: ContactInput;
  /** The row in the file, for the report. */
  row?: number;
}

/** What importing orders needs of the store: many orders a call (DynamoDbStore.recordOrders). */
export interface OrderImportStore {
  /** `conflicts` gets, by index, how an order differs from the one the store has under its id. */
  /** `refunds` gets, by index, the refund to date the store had and the one sent, for `refunded` and `late-refund` outcomes. */
  recordOrders(orders: readonly OrderInput[], conflicts?: Map<number, OrderDifference[]>, refunds?: Map<number, RefundChange>): Promise<OrderOutcome[]>;
}

/**
 * What importing contacts needs of the store: many profiles a call, unchanged ones left alone, each
 * subscription moved by the consent rules with notes where it did not follow the row (DynamoDbStore.putContacts).
 */
export interface ContactImportStore {
  putContacts(contacts: readonly ContactRow[], source?: ProfileSource): Promise<ContactWrite[]>;
}

/** Rows with a late refund (smaller than the store's) listed in the report one by one; beyond, one line counts the rest. */
const LATE_REFUND_NOTES_MAX = 1000;

/** Rows whose subscription notes are listed in the report one by one; beyond, one line counts the rest. */
const SUBSCRIPTION_NOTES_MAX = 1000;

export interface ImportOptions {
  /**
   * Rows validated and written together. It bounds memory (a 500,000-row file is never held whole),
   * and a contact's orders within one chunk share one summary write, so larger chunks write less.
   */
  chunkRows?: number;
  /** Show a progress bar on stderr when it is a terminal. */
  progress?: boolean;
  /** The clock that judges order dates "in the future". */
  now?: () => number;
  /** The store's currency (DEFAULT_STORE_CURRENCY); a row in another needs exchange_rate or total_in_store_currency. */
  storeCurrency?: string;
  /** YYYY-MM-DD: rows dated before it are refused (1995-01-01). */
  earliestOrderDate?: string;
  /** The cell separator, "," by default (";" for the files many European stores export). */
  delimiter?: string;
  /** UTF-8 by default; a file in another is refused naming it, unless given here (windows-1252, latin1). */
  encoding?: CsvEncoding;
}

export interface ImportReport {
  /** Data rows read (the header not counted). */
  rows: number;
  /** Rows that changed the store: orders now counted, contacts created or changed. */
  imported: number;
  /** Rows the store already had; importing the same file again reports every good row here. */
  duplicates: number;
  /** Cancellations and refunds that took an order out of the figures or were stored as such. */
  removed: number;
  /** Rows not imported because of errors; each has one or more entries in `errors`. */
  rejected: number;
  /** Of the good rows: credit notes, negative totals without the order they cancel (see `notes`). */
  cancellations: number;
  /** What the credit notes new to the store took off their contacts' revenue, in the store's currency. */
  credited?: number;
  /**
   * Of the good rows: orders whose refund to date (refunded_amount) lowered their contact's revenue
   * now: a counted order sent again with a larger refund, or a new order sent already part refunded.
   */
  refunds?: number;
  /** What those refunds took off their contacts' revenue, in the store's currency. */
  refunded?: number;
  /** Rows whose refund to date was smaller than the one the store had (an older copy of the order): nothing changed. */
  lateRefunds?: number;
  /** The store's currency, in which every amount of the report is. */
  currency?: string;
  errors: RowError[];
  /** How rows were read where a person might expect otherwise. */
  notes: string[];
  /** Set when the file was refused as a whole (its encoding, its header): nothing of it was imported. */
  refused?: string;
}

export const DEFAULT_CHUNK_ROWS = 20_000;

/**
 * Imports an orders CSV: `order_id,customer_id,created_at,total,currency[,status][,refunded_amount]`
 * (and exchange_rate or total_in_store_currency for an order in another currency); other columns are
 * ignored. `refunded_amount` is what was refunded of the order to date: a row of an order already
 * imported with a larger one is a refund (counted in `refunds`, its amount in `refunded`), with a
 * smaller one a late copy that changes nothing (`lateRefunds`, and a note naming the row). Every row is checked before anything of its chunk is written, so a bad row is reported
 * (by row number and column) and never half-written, and the good rows are kept. Each write is safe
 * to repeat: importing the same file again changes nothing and reports every row as a duplicate.
 *
 * A row with a negative total is a credit note: a cancellation or refund that names no original order,
 * only the customer, as the Online Retail data set writes its C-invoices (cancellations.csv). It is
 * stored as its own order and lowers the contact's revenue, once, however often the file is imported;
 * the report says how many there were and by how much they lowered the revenue.
 */
export async function importOrders(store: OrderImportStore, path: string | CsvSource, options: ImportOptions = {}): Promise<ImportReport> {
  const parseRow = orderRow(
    orderInput({
      ...(options.now && { now: options.now }),
      ...(options.storeCurrency && { storeCurrency: options.storeCurrency }),
      ...(options.earliestOrderDate && { earliestOrderDate: options.earliestOrderDate }),
    }),
  );
  const credited: number[] = [];
  const refunded: number[] = [];
  let lateRefunds = 0;
  const report = await importFile(path, "orders", options, REQUIRED_ORDER_COLUMNS, parseRow, async (rows, report) => {
    const conflicts = new Map<number, OrderDifference[]>();
    const refunds = new Map<number, RefundChange>();
    const outcomes = await store.recordOrders(rows.map((r) => r.order), conflicts, refunds);
    outcomes.forEach((outcome, i) => {
      const { order, row } = rows[i]!;
      if (outcome === "conflict") {
        report.rejected++;
        report.errors.push({ row, field: "order_id", message: `is already stored as another order (${describeDifferences(conflicts.get(i) ?? [])}): an order id is recorded once; nothing of this row was imported` });
        return;
      }
      if (outcome === "summary-full") {
        report.rejected++;
        report.errors.push({ row, field: "customer_id", message: summaryFullMessage(order.contactId) });
        return;
      }
      if (outcome === "contended") {
        report.rejected++;
        report.errors.push({ row, field: "customer_id", message: contendedMessage(order.contactId) });
        return;
      }
      if (outcome === "refunded") {
        // A refund changed the store as an order does: it is imported, and counted with the refunds.
        report.imported++;
        refunded.push(refundTaken(refunds.get(i) ?? {}, order.currency));
        return;
      }
      if (outcome === "late-refund") {
        report.duplicates++;
        if (lateRefunds++ < LATE_REFUND_NOTES_MAX) report.notes.push(`row ${row}: ${lateRefundMessage(order.id, refunds.get(i) ?? {})}`);
        return;
      }
      if (outcome === "recorded") report.imported++;
      else if (outcome === "removed") report.removed++;
      else report.duplicates++;
      // A new order sent part refunded counts at its net total: its refund is netted as it is recorded.
      if (outcome === "recorded" && order.status === "placed" && (order.refundedAmount ?? 0) > 0) refunded.push(order.refundedAmount!);
      if (order.total < 0 && order.status === "placed") {
        report.cancellations++;
        if (outcome === "recorded") credited.push(-order.total);
      }
    });
  });
  report.currency = options.storeCurrency ?? DEFAULT_STORE_CURRENCY;
  report.credited = Number(decimalSum(credited).value);
  report.refunds = refunded.length;
  report.refunded = Number(decimalSum(refunded).value);
  report.lateRefunds = lateRefunds;
  if (report.refunds > 0) {
    report.notes.push(`${report.refunds.toLocaleString("en")} refund(s) to date (refunded_amount) netted against their contacts' revenue: ${formatAmount(report.refunded, report.currency)} in all.`);
  }
  if (lateRefunds > LATE_REFUND_NOTES_MAX) report.notes.push(`… and ${lateRefunds - LATE_REFUND_NOTES_MAX} more rows whose refund to date was older than the store's (the first ${LATE_REFUND_NOTES_MAX} are listed above)`);
  if (report.cancellations > 0) {
    const amount = formatAmount(report.credited, report.currency);
    const before = report.cancellations - credited.length;
    report.notes.push(
      `${report.cancellations.toLocaleString("en")} credit note(s) (a negative total without the order it cancels, as Online Retail's C-invoices) ` +
        `netted against their contacts' revenue: ${amount} in all${before > 0 ? ` (${before.toLocaleString("en")} of them were netted by an earlier import)` : ""}.`,
    );
  }
  return report;
}

/**
 * Imports a contacts CSV: `id,email,first_name,subscription,consent_at,country[,opted_out_at]`; empty cells mean
 * "not given". A row replaces the stored profile (never the contact's orders); a row that says what the
 * store already has is a duplicate and writes nothing. The subscription follows the consent rules
 * (domain/store/subscription.ts): a row whose consent is older than the contact's opt-out keeps it
 * unsubscribed, and the report's notes say so for that row.
 */
export async function importContacts(store: ContactImportStore, path: string | CsvSource, options: ImportOptions = {}): Promise<ImportReport> {
  let kept = 0;
  const report = await importFile(path, "contacts", options, ["id"], contactRow(contactInput(options.now)), async (rows, report) => {
    const writes = await store.putContacts(rows, "import");
    writes.forEach(({ outcome, notes }, i) => {
      if (outcome === "unchanged") report.duplicates++;
      else report.imported++;
      // The consent rules' word on a row whose subscription they did not follow: `row 7 (contact k1): subscription kept "unsubscribed": …`.
      for (const note of notes) if (kept++ < SUBSCRIPTION_NOTES_MAX) report.notes.push(`row ${rows[i]!.row ?? "?"} (contact ${rows[i]!.contactId}): ${note}`);
    });
  });
  if (kept > SUBSCRIPTION_NOTES_MAX) report.notes.push(`… and ${kept - SUBSCRIPTION_NOTES_MAX} more rows whose subscription was not what the row said (the first ${SUBSCRIPTION_NOTES_MAX} are listed above)`);
  return report;
}

type ParsedRow<T> = { value: T } | { errors: RowError[] };

/**
 * Reads the file in chunks of good rows, writes each chunk, and accounts for every line: imported,
 * refused with its line and reason, or swallowed by a quote that opened on an earlier line. A file that
 * cannot be read right as a whole (not in its encoding, a column twice or missing) is refused before
 * anything of it is written.
 */
async function importFile<T>(
  input: string | CsvSource,
  label: string,
  options: ImportOptions,
  required: readonly string[],
  parseRow: (record: Record<string, string>, row: number) => ParsedRow<T>,
  write: (rows: T[], report: ImportReport) => Promise<void>,
): Promise<ImportReport> {
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  const report: ImportReport = { rows: 0, imported: 0, duplicates: 0, removed: 0, rejected: 0, cancellations: 0, errors: [], notes: [] };
  const source = typeof input === "string" ? fileSource(input) : input;
  try {
    await checkEncoding(source, options.encoding);
  } catch (error) {
    return refused(report, error);
  }
  // Rows done of the file's lines, with the time left: the reader runs ahead of the writes, so a bar of bytes read showed 100 % before a row was written.
  const bar = options.progress && process.stderr.isTTY ? new SingleBar({ format: `importing ${label} {bar} {percentage}% | {value}/{total} rows | {eta_formatted} left`, stream: process.stderr, hideCursor: true, etaBuffer: 50 }) : undefined;
  if (bar) bar.start(Math.max(1, (await countLines(source)) - 1), 0);
  let chunk: T[] = [];
  let lastRow = 1;
  const flush = async () => {
    if (chunk.length === 0) return;
    const rows = chunk;
    chunk = [];
    try {
      await write(rows, report);
    } catch (error) {
      throw new Error(
        `writing the rows up to row ${lastRow} of ${source.name} failed: ${error instanceof Error ? error.message : String(error)}. ` +
          `Importing the file again is safe: rows already written are skipped as duplicates.`,
        { cause: error },
      );
    }
    bar?.update(report.rows);
  };
  const records = csvRecords(source, {
    required,
    ...(options.delimiter && { delimiter: options.delimiter }),
    ...(options.encoding && { encoding: options.encoding }),
  });
  try {
    for await (const { row, firstLine, record, problem, quoteSpan } of records) {
      lastRow = row;
      bar?.update(report.rows);
      const parsed: ParsedRow<T> = problem ? { errors: [{ row, field: "", message: problem }] } : parseRow(record, row);
      if ("errors" in parsed && quoteSpan) {
        // A quote opened on firstLine took every line to `row` into one cell: each of them is named.
        report.rows += row - firstLine + 1;
        report.rejected += row - firstLine + 1;
        report.errors.push({ row: firstLine, field: "", message: quoteSpanMessage(firstLine, row, problem) });
        for (let line = firstLine + 1; line <= row; line++) report.errors.push({ row: line, field: "", message: `swallowed by the quote opened on line ${firstLine}: not imported` });
        continue;
      }
      report.rows++;
      if ("errors" in parsed) {
        report.rejected++;
        report.errors.push(...parsed.errors);
        continue;
      }
      chunk.push(parsed.value);
      if (chunk.length >= chunkRows) await flush();
    }
    await flush();
  } catch (error) {
    // The header is read before any row: a file refused for it has nothing written.
    if (error instanceof CsvFileError && report.rows === 0) return refused(report, error);
    throw error;
  } finally {
    if (bar) {
      bar.setTotal(Math.max(report.rows, 1));
      bar.update(report.rows);
      bar.stop();
    }
  }
  return report;
}

/** The report of a file refused as a whole: one error, at the line where the problem is. */
function refused(report: ImportReport, error: unknown): ImportReport {
  if (!(error instanceof CsvFileError)) throw error;
  report.errors.push({ row: error.line, field: error.field, message: error.message });
  report.refused = error.message;
  return report;
}

function quoteSpanMessage(firstLine: number, row: number, problem: string | undefined): string {
  const lines = `lines ${firstLine}–${row} (${row - firstLine + 1} lines)`;
  if (problem?.includes("never closes")) return `a quote opens on line ${firstLine} and never closes: ${lines}, to the end of the file, were read as one cell and none of them imported; close the quote (write a quote inside a cell as "") and import the file again (rows already imported are skipped)`;
  return `a quote opens on line ${firstLine} and closes only on line ${row}: ${lines} were read as one row and none of them imported; fix the quote and import the file again (rows already imported are skipped)`;
}

// ---- orders ----

/** Where each order field comes from in the file, so that an error names the column a person sees. */
const ORDER_COLUMNS: Record<string, string> = {
  id: "order_id",
  contactId: "customer_id",
  createdAt: "created_at",
  total: "total",
  currency: "currency",
  status: "status",
  exchangeRate: "exchange_rate",
  totalInStoreCurrency: "total_in_store_currency",
  refundedAmount: "refunded_amount",
};

const REQUIRED_ORDER_COLUMNS = ["order_id", "customer_id", "created_at", "total", "currency"];

interface OrderRow {
  order: OrderInput;
  /** The line it was read from, for a conflict found when it is written. */
  row: number;
}

function orderRow(schema: ReturnType<typeof orderInput>) {
  return (record: Record<string, string>, row: number): ParsedRow<OrderRow> => {
    const errors: RowError[] = [];
    const total = numberCell.safeParse(record.total);
    if (!total.success) errors.push(...fieldErrors(total.error, row, () => "total"));
    const amount = total.success ? total.data : 0;
    const status = record.status?.trim() || undefined;
    // Optional number columns: an empty cell means "not given".
    const optionalNumber = (column: string, field: string) => {
      if (!record[column]?.trim()) return {};
      const cell = numberCell.safeParse(record[column]);
      if (cell.success) return { [field]: cell.data };
      errors.push(...fieldErrors(cell.error, row, () => column));
      return {};
    };
    // refunded_amount, or refundedAmount as the API's field is named (a file exported from webhooks' JSON).
    const refundColumn = record.refunded_amount === undefined && record.refundedAmount !== undefined ? "refundedAmount" : "refunded_amount";
    const conversion = {
      ...optionalNumber("exchange_rate", "exchangeRate"),
      ...optionalNumber("total_in_store_currency", "totalInStoreCurrency"),
      ...optionalNumber(refundColumn, "refundedAmount"),
    };
    const parsed = schema.safeParse({
      ...conversion,
      id: record.order_id,
      contactId: record.customer_id,
      createdAt: record.created_at?.trim(),
      total: amount,
      currency: record.currency?.trim().toUpperCase(),
      ...(status && { status }),
    });
    if (!parsed.success) {
      // A cell the row does not have at all is "missing", whatever the column's own rule would say of it.
      const missing = new Set(REQUIRED_ORDER_COLUMNS.filter((column) => record[column] === undefined && column !== "total"));
      for (const column of missing) errors.push({ row, field: column, message: "is missing" });
      errors.push(...fieldErrors(parsed.error, row, (field) => (field === "refundedAmount" ? refundColumn : (ORDER_COLUMNS[field] ?? field))).filter((e) => !missing.has(e.field)));
    }
    return errors.length > 0 || !parsed.success ? { errors } : { value: { order: parsed.data, row } };
  };
}

// ---- contacts ----

const CONTACT_COLUMNS: Record<string, string> = { email: "email", firstName: "first_name", subscription: "subscription", consentAt: "consent_at", optedOutAt: "opted_out_at", country: "country" };

function contactRow(schema: ReturnType<typeof contactInput>) {
  return (record: Record<string, string>, row: number): ParsedRow<ContactRow> => {
    const cell = (column: string) => {
      const text = record[column]?.trim();
      return text ? text : undefined;
    };
    const errors: RowError[] = [];
    const id = ContactId.safeParse(record.id);
    if (!id.success) errors.push(...fieldErrors(id.error, row, () => "id"));
    const contact = schema.safeParse({
      email: cell("email"),
      firstName: cell("first_name"),
      subscription: cell("subscription"),
      consentAt: cell("consent_at"),
      optedOutAt: cell("opted_out_at"),
      country: cell("country"),
    });
    if (!contact.success) errors.push(...fieldErrors(contact.error, row, (field) => CONTACT_COLUMNS[field] ?? field));
    return id.success && contact.success ? { value: { contactId: id.data, contact: contact.data, row } } : { errors };
  };
}

/** One RowError per zod issue, named by the file's column. */
function fieldErrors(error: z.ZodError, row: number, column: (field: string) => string): RowError[] {
  return error.issues.map((issue) => ({ row, field: column(issue.path.map(String).join(".")), message: issue.message }));
}

/** Line breaks in the source (a row's quoted line breaks count too: the bar's total is a little high then). */
async function countLines(source: CsvSource): Promise<number> {
  let lines = 1;
  for await (const chunk of source.open() as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return lines;
}
