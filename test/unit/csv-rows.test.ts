import { describe, expect, it } from "vitest";
import { csvHeader, orderFoldRows, orderRows, summaryFoldRows, summaryRows, type CsvRowFold, type CsvRowReader } from "../../functions/domain/clv/csv-rows.js";
import { contactCount, purchaseTable, SummaryFold, type CustomerSummary } from "../../functions/domain/clv/customer-summary.js";
import { fitModel } from "../../functions/domain/clv/fit.js";
import { gammaGamma, spendTable } from "../../functions/domain/clv/gamma-gamma.js";
import { contactHistories, OrderFold, type Order } from "../../functions/domain/clv/order-history.js";
import { CellProblem, dateValue } from "../../functions/domain/input/csv-fields.js";
import { parseCalendarTime } from "../../functions/domain/input/calendar-time.js";
import type { RowError } from "../../functions/domain/input/row-errors.js";

/** Reads one row given as { column: cell } with `reader`, as the file reader hands it over. */
function readOne<T>(reader: CsvRowReader<T>, record: Record<string, string>): { value: T | undefined; errors: string[] } {
  const errors: RowError[] = [];
  const value = reader.read(
    reader.columns.map((c) => record[c]),
    7,
    errors,
  );
  return { value, errors: errors.map((e) => `row ${e.row}: ${e.field}: ${e.message}`) };
}

/** Adds one row given as { column: cell } to `reader`'s fold. */
function addOne(reader: CsvRowFold, record: Record<string, string>): { good: boolean; errors: string[] } {
  const errors: RowError[] = [];
  const good = reader.add(
    reader.columns.map((c) => record[c]),
    7,
    errors,
  );
  return { good, errors: errors.map((e) => `row ${e.row}: ${e.field}: ${e.message}`) };
}

describe("orders rows: each cell checked, every problem of the row named (the messages of the zod field parsers)", () => {
  it("reads a good row, trimming cells", () => {
    // Act and assess
    expect(readOne(orderRows(), { order_id: " 1 ", customer_id: "a", created_at: " 2024-01-01 ", total: " 1e2 " })).toEqual({
      value: { orderId: "1", contactId: "a", createdAt: Date.parse("2024-01-01T00:00:00Z"), total: 100 },
      errors: [],
    });
  });

  it("names every bad cell of a row, in column order", () => {
    // Act and assess
    expect(readOne(orderRows(), { order_id: "", customer_id: " \u0001", created_at: "x", total: "-" }).errors).toEqual([
      "row 7: order_id: is empty",
      "row 7: customer_id: contains control characters",
      'row 7: created_at: expected a date like 2024-05-31 or a time like 2024-05-31T14:03:00Z, got "x"',
      'row 7: total: expected a number, got "-"',
    ]);
    // A negative total is a credit note, no bad cell.
    expect(readOne(orderRows(), { order_id: "1", customer_id: "a", created_at: "2024-01-01", total: "-1" })).toEqual({ value: { orderId: "1", contactId: "a", createdAt: Date.parse("2024-01-01"), total: -1 }, errors: [] });
    expect(readOne(orderRows(), { order_id: "1", customer_id: "a", created_at: "2024-01-01", total: "abc" }).errors).toEqual(['row 7: total: expected a number, got "abc"']);
    expect(readOne(orderRows(), { order_id: "1", customer_id: "a", total: "-0" })).toEqual({ value: undefined, errors: ["row 7: created_at: is missing"] });
  });
});

describe("summary rows", () => {
  const cases: [Record<string, string>, string[]][] = [
    [{ customer_id: "a", frequency: "1.5", recency: "5", T: "3" }, ["frequency: must be a whole number of repeat purchases", "recency: recency must not exceed T"]],
    [{ customer_id: "a", frequency: "0", recency: "5", T: "3" }, ["recency: recency must not exceed T", "recency: must be 0 when frequency is 0"]],
    [{ customer_id: "a", frequency: "-1", recency: "-5", T: "x" }, ["frequency: must not be negative", "recency: must not be negative", 'T: expected a number, got "x"']],
    [{ customer_id: "a", frequency: "2", recency: "5", T: "3", monetary_value: "" }, ['monetary_value: expected a number, got ""']],
    [{ customer_id: "a", frequency: "2", recency: "2", T: "3", monetary_value: "-1" }, ["monetary_value: must not be negative"]],
    [{ customer_id: "a", frequency: "0", recency: "2", T: "3" }, ["recency: must be 0 when frequency is 0"]],
    [{ customer_id: "a", frequency: "Infinity", recency: "2", T: "3" }, ['frequency: expected a number, got "Infinity"']],
    [{ frequency: "1", recency: "2", T: "3" }, ["customer_id: is missing"]],
    [{ customer_id: " ", frequency: "0", recency: "2", T: "3" }, ["customer_id: is empty", "recency: must be 0 when frequency is 0"]],
    [{ customer_id: "a", frequency: "2", recency: "2", T: "3", litt: "n/a" }, ['litt: expected a number, got "n/a"']],
    [{ customer_id: "a", frequency: "0", recency: "0", T: "3", litt: "0.5" }, ["litt: must be 0 when frequency is 0: there is no time between purchases"]],
  ];
  it.each(cases)("%j → %j", (record, expected) => {
    // Act
    const { value, errors } = readOne(summaryRows(), record);
    // Assess
    expect(value).toBeUndefined();
    expect(errors).toEqual(expected.map((e) => `row 7: ${e}`));
  });

  it("keeps monetary_value only when the file has it", () => {
    // Act and assess
    expect(readOne(summaryRows(), { customer_id: "a", frequency: "2", recency: "30.43", T: "38.86" }).value).toEqual({ frequency: 2, recency: 30.43, T: 38.86 });
    expect(readOne(summaryRows(), { customer_id: "a", frequency: "2", recency: "30.43", T: "38.86", monetary_value: "22.35" }).value).toEqual({ frequency: 2, recency: 30.43, T: 38.86, monetaryValue: 22.35 });
  });

  it("reads the optional litt column (Σ log times between purchases, MBG/CNBD-k), negative values included", () => {
    // Act / Assess: weeks between purchases under one make a negative log.
    expect(readOne(summaryRows(), { customer_id: "a", frequency: "2", recency: "3", T: "38", litt: "-0.75" }).value).toEqual({ frequency: 2, recency: 3, T: 38, logInterPurchaseTimes: -0.75 });
    expect(readOne(summaryRows(), { customer_id: "a", frequency: "2", recency: "3", T: "38", monetary_value: "10", litt: "1.5" }).value).toEqual({ frequency: 2, recency: 3, T: 38, monetaryValue: 10, logInterPurchaseTimes: 1.5 });
  });
});

describe("rows folded as read (summaryFoldRows, orderFoldRows): the checks of the row readers, no object kept", () => {
  const summaryRecords: Record<string, string>[] = [
    { customer_id: "a", frequency: "2", recency: "30.43", T: "38.86", monetary_value: "22.35" },
    { customer_id: "b", frequency: "0", recency: "0", T: "38.86", monetary_value: "0" },
    { customer_id: "c", frequency: "2", recency: "30.43", T: "38.86", monetary_value: "10" },
    { customer_id: "d", frequency: "1.5", recency: "5", T: "3", monetary_value: "1" },
    { customer_id: "", frequency: "x", recency: "-1", T: "3", monetary_value: "-2", litt: "y" },
  ];

  it("folds the good summary rows into the table purchaseTable makes of them, with the same messages for the bad ones", () => {
    // Prepare
    const read = summaryRecords.map((record) => readOne(summaryRows(), record));
    const good = read.flatMap((r) => (r.value ? [r.value] : [])) as CustomerSummary[];
    const purchase = new SummaryFold({ ignoreMonetaryValue: true });
    const spend = new SummaryFold();
    // Act
    const purchaseAdds = summaryRecords.map((record) => addOne(summaryFoldRows(purchase), record));
    const spendAdds = summaryRecords.map((record) => addOne(summaryFoldRows(spend, { spend: true }), record));
    // Assess
    expect(purchaseAdds).toEqual(read.map((r) => ({ good: r.value !== undefined, errors: r.errors })));
    expect(spendAdds).toEqual(purchaseAdds);
    expect(purchase.table()).toEqual(purchaseTable(good));
    expect(spend.table()).toMatchObject({ length: 2, frequency: Float64Array.of(2, 2), monetaryValue: Float64Array.of(22.35, 10), recency: Float64Array.of(0, 0), T: Float64Array.of(0, 0) });
  });

  it("folds Gamma-Gamma's rows on frequency and monetary value alone: fewer rows, the fit of spendTable's", () => {
    // Prepare: 3,000 repeat buyers over few spends and many ages (the CDNOW parameters' kind of spread), and one-time buyers the fit leaves out.
    let seed = 9;
    const next = (k: number) => (seed = (seed * 48271) % 2147483647) % k;
    const records = Array.from({ length: 4_000 }, (_, i) => {
      const frequency = i % 4 === 0 ? 0 : 1 + next(6);
      const T = 30 + next(300);
      return { customer_id: `c${i}`, frequency: String(frequency), recency: String(frequency === 0 ? 0 : next(T)), T: String(T), monetary_value: frequency === 0 ? "0" : String(5 + next(40)) };
    });
    const good = records.map((record) => readOne(summaryRows(), record).value!);
    const fold = new SummaryFold();
    // Act
    for (const record of records) addOne(summaryFoldRows(fold, { spend: true }), record);
    const folded = fitModel(gammaGamma, fold.table());
    const reference = fitModel(gammaGamma, spendTable(good));
    // Assess
    expect(fold.table().length).toBeLessThan(spendTable(good).length / 5);
    expect(contactCount(fold.table())).toBe(3_000);
    expect(folded.logLikelihood).toBeCloseTo(reference.logLikelihood, 6);
    for (const name of ["p", "q", "gamma"] as const) expect(folded.params[name]).toBeCloseTo(reference.params[name], 4);
  });

  it("keeps litt for the table only when every good row had it", () => {
    // Prepare
    const fold = new SummaryFold();
    // Act
    addOne(summaryFoldRows(fold), { customer_id: "a", frequency: "2", recency: "3", T: "38", litt: "-0.75" });
    addOne(summaryFoldRows(fold), { customer_id: "b", frequency: "1", recency: "3", T: "38", litt: "1.25" });
    // Assess
    expect(fold.table().logInterPurchaseTimes).toBe(0.5);
  });

  it("folds the good order rows into the contacts' histories, with orderRows' messages for the bad ones", () => {
    // Prepare
    const records = [
      { order_id: "1", customer_id: "a", created_at: "2024-01-05", total: "10" },
      { order_id: "2", customer_id: "b", created_at: "2024-01-02", total: "5" },
      { order_id: "3", customer_id: "a", created_at: "2024-01-01T10:00:00Z", total: "2.5" },
      { order_id: "", customer_id: "a", created_at: "2024-13-01", total: "-1" },
    ];
    const read = records.map((record) => readOne(orderRows(), record));
    const fold = new OrderFold(Date.parse("2024-01-31"));
    // Act
    const adds = records.map((record) => addOne(orderFoldRows(fold), record));
    // Assess
    expect(adds).toEqual(read.map((r) => ({ good: r.value !== undefined, errors: r.errors })));
    expect(fold.histories()).toEqual(contactHistories(read.flatMap((r) => (r.value ? [r.value] : [])) as Order[], Date.parse("2024-01-31")));
  });
});

/**
 * Adds one row to `reader`'s fold as the file reader does: by its fast way (addSpans) with the cells
 * as spans of a line, and by add when the fast way leaves it. `fast` says which way took it.
 */
function addAsRead(reader: CsvRowFold, record: Record<string, string>): { good: boolean; fast: boolean; errors: string[] } {
  let line = "<";
  const spans = new Int32Array(2 * reader.columns.length).fill(-1);
  reader.columns.forEach((c, k) => {
    const cell = record[c];
    if (cell === undefined) return;
    spans[2 * k] = line.length;
    line += cell;
    spans[2 * k + 1] = line.length;
    line += ",";
  });
  if (reader.addSpans!(`${line}>`, spans, 7)) return { good: true, fast: true, errors: [] };
  return { ...addOne(reader, record), fast: false };
}

describe("rows folded by the fast way (addSpans): the plain ones folded as add folds them, every other left to add", () => {
  it("orders: the same histories and the same messages, the plain rows taken without a string per cell", () => {
    // Prepare
    const records: Record<string, string>[] = [
      { order_id: "1", customer_id: "a", created_at: "2024-01-05", total: "10" },
      { order_id: "2", customer_id: "b b", created_at: "2024-01-02T10:00:00Z", total: "5.25" },
      { order_id: "3", customer_id: "a", created_at: "2024-01-01", total: "-0" },
      { order_id: "4", customer_id: "a", created_at: "2024-02-01", total: "0.1" },
      { order_id: "5", customer_id: " a ", created_at: "2024-01-03", total: "1" },
      { order_id: "6", customer_id: "c", created_at: " 2024-01-03", total: "1e2" },
      { order_id: "7", customer_id: "ç", created_at: "2024-01-03", total: "2" },
      { order_id: "8", customer_id: "d", created_at: "2024-01-03", total: "-1" },
      { order_id: "", customer_id: "d", created_at: "2024-02-30", total: "x" },
      { order_id: "9", customer_id: "\u0001", created_at: "2024-01-03T10:00:00+02:00", total: "1" },
      { order_id: "10", customer_id: "e", created_at: "0099-01-01", total: "1" },
      { order_id: "11", customer_id: "e", total: "1" },
    ];
    const slow = new OrderFold(Date.parse("2024-01-31"));
    const fast = new OrderFold(Date.parse("2024-01-31"));
    // Act
    const added = records.map((record) => addOne(orderFoldRows(slow), record));
    const read = records.map((record) => addAsRead(orderFoldRows(fast), record));
    // Assess
    expect(read.map(({ good, errors }) => ({ good, errors }))).toEqual(added);
    expect(read.map((r) => r.fast)).toEqual([true, true, true, true, false, false, false, false, false, false, false, false]);
    expect(fast.histories()).toEqual(slow.histories());
  });

  it("summaries: the same table and the same messages, for the purchase models and for Gamma-Gamma", () => {
    // Prepare
    const records: Record<string, string>[] = [
      { customer_id: "a", frequency: "2", recency: "30.43", T: "38.86", monetary_value: "22.35" },
      { customer_id: "b", frequency: "0", recency: "0", T: "38.86", monetary_value: "0" },
      { customer_id: "c", frequency: "2", recency: "30.43", T: "38.86", monetary_value: "10", litt: "-0.5" },
      { customer_id: "c2", frequency: "-0", recency: "0", T: "3", litt: "0" },
      { customer_id: "d", frequency: "1.5", recency: "5", T: "3", monetary_value: "1" },
      { customer_id: "e", frequency: "0", recency: "2", T: "3" },
      { customer_id: "f", frequency: "0", recency: "0", T: "3", litt: "0.5" },
      { customer_id: "g", frequency: "1", recency: "4", T: "3" },
      { customer_id: "h", frequency: "1", recency: "1", T: "3", monetary_value: "-1" },
      { customer_id: "i", frequency: "1", recency: "1", T: "3", monetary_value: "" },
      { customer_id: "j", frequency: " 1", recency: "1", T: "3" },
      { customer_id: "k", frequency: "1e1", recency: "1", T: "3" },
      { customer_id: "", frequency: "x", recency: "-1", T: "3", monetary_value: "-2", litt: "y" },
      { frequency: "1", recency: "2", T: "3" },
      { customer_id: "l", frequency: "1", recency: "2" },
      // Numbers plainDecimal does not read, that Number() reads the same as numberValue: taken in place too.
      { customer_id: "m", frequency: "2", recency: "27.060000000000002", T: "31.000000000000004", monetary_value: "+12.5" },
      { customer_id: "n", frequency: "1", recency: "1e-7", T: "3E1", monetary_value: "12345678901234567" },
      // Left to add: a hexadecimal number (Number() reads it, numberValue too), a number too large, a lone point or sign.
      { customer_id: "o", frequency: "1", recency: "0x1", T: "3" },
      { customer_id: "p", frequency: "1", recency: "1", T: "1e400" },
      { customer_id: "q", frequency: "1", recency: ".", T: "3", monetary_value: "-" },
      // Whole recency and T, which Gamma-Gamma's fold checks as digits: in order or not, by length and digit by digit, with leading zeros (read as numbers).
      { customer_id: "r1", frequency: "3", recency: "40", T: "38", monetary_value: "5" },
      { customer_id: "r2", frequency: "3", recency: "38", T: "40", monetary_value: "5" },
      { customer_id: "r3", frequency: "2", recency: "07", T: "10", monetary_value: "4" },
      { customer_id: "r4", frequency: "0", recency: "00", T: "5", monetary_value: "0" },
      { customer_id: "r5", frequency: "1", recency: "9", T: "12", monetary_value: "3" },
      { customer_id: "r6", frequency: "1", recency: "12", T: "9", monetary_value: "3" },
      { customer_id: "r7", frequency: "4", recency: "25", T: "25", monetary_value: "7.5" },
      { customer_id: "r8", frequency: "0", recency: "3", T: "5" },
      { customer_id: "r9", frequency: "2", recency: "3", T: "025", monetary_value: "4" },
    ];
    for (const spend of [false, true]) {
      const slow = new SummaryFold({ ignoreMonetaryValue: !spend });
      const fast = new SummaryFold({ ignoreMonetaryValue: !spend });
      // Act
      const added = records.map((record) => addOne(summaryFoldRows(slow, { spend }), record));
      const read = records.map((record) => addAsRead(summaryFoldRows(fast, { spend }), record));
      // Assess
      expect(read.map(({ good, errors }) => ({ good, errors }))).toEqual(added);
      expect(read.map((r) => r.fast)).toEqual([true, true, true, true, false, false, false, false, false, false, false, true, false, false, false, true, true, false, false, false, false, true, true, true, true, false, true, false, true]);
      expect(fast.table()).toEqual(slow.table());
    }
  });
});

describe("a file's header, checked once", () => {
  const header = (columns: string[], delimiter = ",") => {
    const parsed = csvHeader(["order_id", "customer_id", "created_at", "total"], delimiter).safeParse(columns);
    return parsed.success ? "ok" : parsed.error.issues.map((i) => i.message).join("; ");
  };
  it("names the missing columns and lists those the file has", () => {
    // Act and assess
    expect(header(["order_id", "customer_id", "created_at", "total", "currency"])).toBe("ok");
    expect(header(["order_id", "customer_id", "date", "amount"])).toBe('no columns "created_at", "total"; the columns are order_id, customer_id, date, amount');
    expect(header(["ID", "customer_id", "created_at", "total"])).toBe('no column "order_id"; the columns are ID, customer_id, created_at, total');
    expect(header([])).toBe('no columns "order_id", "customer_id", "created_at", "total"; the columns are (none: the file is empty)');
  });
  it("says which delimiter a one-column header is split by", () => {
    // Act and assess
    expect(header(["order_id;customer_id;created_at;total"])).toBe("a ';'-separated file: use --delimiter ';'");
    expect(header(["order_id\tcustomer_id\tcreated_at\ttotal"])).toBe("a tab-separated file: use --delimiter tab");
    expect(header(["order_id,customer_id,created_at,total"], ";")).toBe("a ','-separated file: use --delimiter ','");
  });
  it("refuses a column given twice", () => {
    // Act and assess
    expect(header(["order_id", "customer_id", "created_at", "total", "total"])).toBe('the column "total" appears 2 times');
  });
});

describe("dates read without a regular expression", () => {
  it("gives what parseCalendarTime gives, value or message, on edge cases and on 50,000 random dates and date-times", () => {
    // Prepare
    const edges = ["2024-02-29", "2023-02-29", "2000-02-29", "1900-02-29", " 2024-01-05 ", "2024-02-30", "2024-02-32", "2024-00-10", "2024-13-01", "0099-01-01", "0100-01-01", "0000-01-01", "2024-01-05T24:00:00Z", "2024-01-05T23:59:59Z", "2024-01-05T23:60:00Z", "2024-1-05", "2024-01-05T10:00:00+02:00", "2024-01-00", "2024-01-05 10:00:00Z", "2024-01-05t10:00:00Z", "+02024-01-05", "2024-01-05T10:00:00.123Z"];
    let seed = 1;
    const random = (k: number) => String(((seed = (seed * 48271) % 2147483647) % k)).padStart(2, "0");
    const dates = Array.from({ length: 50_000 }, (_, i) => `${1900 + Number(random(300))}-${random(15)}-${random(35)}${i % 2 ? "" : `T${random(26)}:${random(62)}:${random(62)}Z`}`);
    const asValue = (text: string) => {
      const time = parseCalendarTime(text.trim());
      return "error" in time ? time.error : time.ms;
    };
    // Act and assess
    for (const text of [...edges, ...dates]) {
      const value = dateValue(text);
      expect([text, value instanceof CellProblem ? value.message : value]).toEqual([text, asValue(text)]);
    }
  });
});
