import { InvalidArgumentError } from "commander";
import { CsvError } from "csv-parse";
import type { z } from "zod";
import { csvRecords } from "../../adapters/csv/csv-records.js";
import { CouponStore } from "../../adapters/dynamodb/coupon-store.js";
import { storeClient } from "../../adapters/dynamodb/store-client.js";
import { checkStore } from "../store-check.js";
import { describeOutcome } from "../../domain/coupons/coupon-assignment.js";
import { CouponCodeRow, CouponSetId, couponSetInput, expiryInput } from "../../domain/coupons/coupon-set.js";
import type { CouponSets } from "../../domain/coupons/coupon-sets.js";
import type { CouponStock } from "../../domain/coupons/coupon-stock.js";
import { ContactId } from "../../domain/store/contact.js";
import { rowErrors, type RowError } from "../../domain/input/row-errors.js";
import { rowErrorLines } from "./score-command.js";

/** Where the commands write, and their clock: the console and now, unless a test says otherwise. */
export interface CouponCommandsIo {
  out(line: string): void;
  err(line: string): void;
  /** A run with rejected rows ends with exit code 2, as `clv import` does. */
  setExitCode(code: number): void;
  clock(): number;
}

/** Where the store is: `--endpoint` and `--table`. */
interface StoreOptions {
  endpoint: string;
  table: string;
}

export interface CouponFileReport {
  /** Data rows read (the header not counted). */
  rows: number;
  /** Codes new to the set. */
  imported: number;
  /** Codes the set had already, or that the file repeats; importing the same file again reports every good row here. */
  duplicates: number;
  /** Rows not imported; each has an entry in `errors`. */
  rejected: number;
  errors: RowError[];
}

/** Codes handed to the store per call: bounds memory, so a file of a million codes is never held whole. */
export const DEFAULT_CHUNK_CODES = 20_000;

/**
 * Imports a codes CSV (a `code` column; others are ignored) into an existing set. Every bad row is
 * reported by row and column and the good ones are kept; codes the set has already are skipped.
 */
export async function importCouponFile(store: Pick<CouponSets, "importCodes">, setId: string, file: string, options: { chunkCodes?: number } = {}): Promise<CouponFileReport> {
  const report: CouponFileReport = { rows: 0, imported: 0, duplicates: 0, rejected: 0, errors: [] };
  const chunkCodes = options.chunkCodes ?? DEFAULT_CHUNK_CODES;
  let chunk: string[] = [];
  let lastRow = 1;
  const flush = async () => {
    if (chunk.length === 0) return;
    const codes = chunk;
    chunk = [];
    try {
      const result = await store.importCodes(setId, codes);
      report.imported += result.imported;
      report.duplicates += result.duplicates;
    } catch (error) {
      throw new Error(
        `adding the codes up to row ${lastRow} of ${file} to coupon set ${setId} failed: ${error instanceof Error ? error.message : String(error)}. ` +
          `Importing the file again is safe: codes already in the set are skipped.`,
        { cause: error },
      );
    }
  };
  try {
    for await (const { row, record, problem } of csvRecords(file)) {
      report.rows++;
      lastRow = row;
      const parsed = problem ? undefined : CouponCodeRow.safeParse(record);
      if (!parsed?.success) {
        report.rejected++;
        report.errors.push(...(parsed ? rowErrors(parsed.error, row) : [{ row, field: "", message: problem! }]));
        continue;
      }
      chunk.push(parsed.data.code);
      if (chunk.length >= chunkCodes) await flush();
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    // Broken quoting: the rows before it are imported, and a fixed file imports the rest (see import-csv.ts).
    report.errors.push({ row: typeof error.lines === "number" ? error.lines : lastRow + 1, field: "", message: `${error.message}; the file could not be read past this row` });
    report.rows++;
    report.rejected++;
  }
  await flush();
  return report;
}

function stockLine(s: CouponStock): string {
  const flags = [s.expired ? "EXPIRED" : "", s.low ? `LOW (≤ ${s.lowStockThreshold})` : ""].filter(Boolean).join(" ");
  return `${s.setId.padEnd(24)} ${String(s.stock).padStart(9)} left of ${String(s.codes).padStart(9)}  ${String(s.assigned).padStart(9)} assigned  expires ${s.expiresAt}  ${s.name}${flags ? `  ${flags}` : ""}`;
}

function lowStockCount(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`option '--low-stock <n>' argument '${text}' is invalid. expected a whole number of codes`);
  return Number(text);
}


const withCoupons = async (io: CouponCommandsIo, options: StoreOptions, use: (store: CouponStore) => Promise<void>) => {
  const client = storeClient({ endpoint: options.endpoint });
  try {
    await checkStore(client, options.endpoint, options.table);
    await use(new CouponStore(client, options.table, io.clock));
  } finally {
    client.destroy();
  }
};

/** A value given on the command line, checked with its schema; a bad one is refused in commander's words. */
function checked<S extends z.ZodType>(schema: S, text: string, what: string): z.output<S> {
  const parsed = schema.safeParse(text);
  if (!parsed.success) throw new InvalidArgumentError(`${what} '${text}' is invalid. ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** `clv coupons import SET FILE`: creates or updates the set if asked, then adds the file's codes. */
export async function importCouponsCommand(io: CouponCommandsIo, setId: string, file: string, options: StoreOptions & { expires?: string; lowStock?: string; name?: string }): Promise<void> {
  checked(CouponSetId, setId, "set");
  const expires = options.expires === undefined ? undefined : checked(expiryInput(io.clock), options.expires, "option '--expires <date>' argument");
  const lowStock = options.lowStock === undefined ? undefined : lowStockCount(options.lowStock);
  await withCoupons(io, options, async (store) => {
    const current = await store.couponStock(setId);
    if (!current && expires === undefined) throw new Error(`coupon set "${setId}" does not exist yet: give --expires YYYY-MM-DD to create it`);
    if (!current || expires !== undefined || lowStock !== undefined || options.name !== undefined) {
      const definition = couponSetInput(io.clock).safeParse({
        id: setId,
        expiresAt: expires ?? current!.expiresAt,
        ...(options.name !== undefined && { name: options.name }),
        ...(lowStock !== undefined && { lowStockThreshold: lowStock }),
      });
      if (!definition.success) throw new Error(definition.error.issues.map((i) => `${i.path.join(".") === "expiresAt" ? "--expires" : `--${i.path.join(".")}`}: ${i.message}`).join("; "));
      io.out(`coupon set ${setId} ${await store.createCouponSet(definition.data)}`);
    } else if (current.expired) io.err(`note: coupon set ${setId} expired at ${current.expiresAt}; it hands out nothing until --expires moves that on`);
    const report = await importCouponFile(store, setId, file);
    for (const line of rowErrorLines(report.errors, 50)) io.err(line);
    const stock = await store.couponStock(setId);
    io.out(`${file}: ${report.rows} rows, ${report.imported} codes imported, ${report.duplicates} already in the set, ${report.rejected} rejected`);
    if (stock) io.out(stockLine(stock));
    if (report.rejected > 0) io.setExitCode(2);
  });
}

/** `clv coupons status [SET]`. */
export async function couponStatusCommand(io: CouponCommandsIo, setId: string | undefined, options: StoreOptions & { json?: boolean }): Promise<void> {
  await withCoupons(io, options, async (store) => {
    let stocks: CouponStock[];
    if (setId !== undefined) {
      const stock = await store.couponStock(setId);
      if (!stock) throw new Error(`there is no coupon set "${setId}"`);
      stocks = [stock];
    } else stocks = await store.listCouponSets();
    if (options.json) io.out(JSON.stringify(setId !== undefined ? stocks[0] : stocks));
    else if (stocks.length === 0) io.out("no coupon sets yet: `clv coupons import SET FILE --expires YYYY-MM-DD`");
    else for (const s of stocks) io.out(stockLine(s));
  });
}

/** `clv coupons assign SET CONTACT`. */
export async function assignCouponCommand(io: CouponCommandsIo, setId: string, contactId: string, options: StoreOptions & { json?: boolean }): Promise<void> {
  checked(CouponSetId, setId, "set");
  checked(ContactId, contactId, "contact");
  await withCoupons(io, options, async (store) => {
    const outcome = await store.assignCoupon(setId, contactId, io.clock());
    io.out(options.json ? JSON.stringify(outcome) : describeOutcome(setId, contactId, outcome));
    if (outcome.status !== "assigned") io.setExitCode(3);
  });
}
