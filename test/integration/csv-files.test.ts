import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { importContacts, importOrders, type ImportReport } from "../../functions/adapters/csv/import-csv.js";
import type { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { importUpload } from "../../functions/handlers/import-upload.js";
import { useDynalite } from "../support/dynalite.js";

/**
 * CSV files as stores really send them: stray quotes, Windows spreadsheets' encoding, a column twice or
 * missing, ";" separators. Every line is accounted for, and a file that cannot be read right as a whole
 * is refused with nothing of it stored, in the CSV import and the S3 upload alike.
 */
const dir = mkdtempSync(join(tmpdir(), "clv-csv-files-"));
const write = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const dynalite = useDynalite("csv-files");
const newStore = async () => (await dynalite.newStore()).store;
const HEADER = "order_id,customer_id,created_at,total,currency";
const orderLine = (i: number) => `o-${i},c-${i % 7},2011-01-${String(1 + (i % 28)).padStart(2, "0")}T10:00:00Z,${(10 + i).toFixed(2)},EUR`;

async function storedOrderIds(store: DynamoDbStore, count: number): Promise<Set<number>> {
  const found = new Set<number>();
  for (let i = 1; i <= count; i++) if (await store.getOrder(`c-${i % 7}`, `o-${i}`)) found.add(i);
  return found;
}

/** Each data line of the file is either a row that changed the store or a line some error names. */
function expectEveryLineAccountedFor(report: ImportReport, dataLines: number) {
  expect(report.rows).toBe(dataLines);
  expect(report.imported + report.duplicates + report.removed + report.rejected).toBe(dataLines);
  expect(new Set(report.errors.map((e) => e.row)).size).toBe(report.rejected);
}

describe("a stray quote", () => {
  it("swallows lines 22–42 into one cell: each of them is named from the line where the quote opened, and every other row is imported", async () => {
    // Prepare: 80 orders on lines 2–81; line 22's customer opens a quote that line 42's closes.
    const store = await newStore();
    const lines = [HEADER, ...Array.from({ length: 80 }, (_, k) => orderLine(k + 1))];
    lines[21] = lines[21]!.replace(",c-", ',"c-');
    lines[41] = lines[41]!.replace(/,EUR$/, '",EUR');
    // Act
    const report = await importOrders(store, write("stray-quote.csv", lines.join("\n") + "\n"));
    // Assess: what the user is told
    expect(report).toMatchObject({ rows: 80, imported: 59, rejected: 21 });
    expectEveryLineAccountedFor(report, 80);
    expect(report.errors[0]).toEqual({ row: 22, field: "", message: expect.stringMatching(/^a quote opens on line 22 and closes only on line 42: lines 22–42 \(21 lines\) were read as one row/) });
    expect(report.errors.slice(1).map((e) => e.row)).toEqual(Array.from({ length: 20 }, (_, k) => 23 + k));
    for (const e of report.errors.slice(1)) expect(e.message).toBe("swallowed by the quote opened on line 22: not imported");
    // Assess: what is stored (orders of lines 22–42 are o-21 … o-41)
    const stored = await storedOrderIds(store, 80);
    expect([...stored].sort((a, b) => a - b)).toEqual(Array.from({ length: 80 }, (_, k) => k + 1).filter((i) => i < 21 || i > 41));
  });

  it("that never closes: the rows before it are imported, and every line from it to the end is named", async () => {
    const store = await newStore();
    const lines = [HEADER, ...Array.from({ length: 30 }, (_, k) => orderLine(k + 1))];
    lines[11] = lines[11]!.replace(",c-", ',"c-'); // line 12: o-11
    const report = await importOrders(store, write("unclosed-quote.csv", lines.join("\r\n") + "\r\n"));
    expect(report).toMatchObject({ rows: 30, imported: 10, rejected: 20 });
    expectEveryLineAccountedFor(report, 30);
    expect(report.errors[0]).toMatchObject({ row: 12, message: expect.stringMatching(/a quote opens on line 12 and never closes: lines 12–31 \(20 lines\), to the end of the file/) });
    expect([...(await storedOrderIds(store, 30))].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, k) => k + 1));
  });

  it("inside an unquoted cell (5\" screen) is kept as it is", async () => {
    const store = await newStore();
    const report = await importContacts(store, write("inch.csv", 'id,first_name\nk1,Ann 5"\nk2,Bo\n'));
    expect(report).toMatchObject({ rows: 2, imported: 2, rejected: 0 });
    expect((await store.getContact("k1"))?.profile?.firstName).toBe('Ann 5"');
  });
});

describe("encodings", () => {
  // What Excel on Windows saves as "CSV": Windows-1252, "José" with é as the single byte 0xE9.
  const latin1 = Buffer.from("id,email,first_name\nk1,ana@example.com,Ana\nk2,jose@example.com,José\nk3,zoe@example.com,Zoë\n", "latin1");

  it("refuses a file that is not UTF-8, naming the encoding and the line, and stores nothing", async () => {
    const store = await newStore();
    const report = await importContacts(store, write("latin1.csv", latin1));
    expect(report).toMatchObject({ rows: 0, imported: 0, refused: expect.stringMatching(/not UTF-8: byte 0xE9 on line 3 .* Windows-1252 .* --encoding windows-1252/) });
    expect(report.errors).toEqual([{ row: 3, field: "", message: report.refused }]);
    // Line 2 is good UTF-8, and still nothing of the file is stored.
    expect(await store.getContact("k1")).toBeUndefined();
  });

  it.each(["windows-1252", "latin1"] as const)("reads it right with --encoding %s", async (encoding) => {
    const store = await newStore();
    const report = await importContacts(store, write(`as-${encoding}.csv`, latin1), { encoding });
    expect(report).toMatchObject({ rows: 3, imported: 3, rejected: 0 });
    expect((await store.getContact("k2"))?.profile?.firstName).toBe("José");
    expect((await store.getContact("k3"))?.profile?.firstName).toBe("Zoë");
  });

  it("refuses UTF-16 naming it, and takes UTF-8 with a byte order mark", async () => {
    const store = await newStore();
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("id,first_name\nk1,José\n", "utf16le")]);
    expect((await importContacts(store, write("utf16.csv", utf16))).refused).toMatch(/UTF-16/);
    const bom = await importContacts(store, write("bom.csv", "\uFEFFid,first_name\nk1,José\n"));
    expect(bom).toMatchObject({ rows: 1, imported: 1 });
    expect((await store.getContact("k1"))?.profile?.firstName).toBe("José");
  });
});

describe("the header", () => {
  it("with a column twice is one file-level error, and nothing is stored", async () => {
    const store = await newStore();
    const report = await importOrders(store, write("twice.csv", `${HEADER},total\n${orderLine(1)},99\n${orderLine(2)},98\n`));
    expect(report).toMatchObject({ rows: 0, imported: 0, rejected: 0 });
    expect(report.errors).toEqual([{ row: 1, field: "total", message: expect.stringMatching(/column "total" twice \(columns 4 and 6\)/) }]);
    expect(await store.getContact("c-1")).toBeUndefined();
  });

  it("without a required column is one file-level error naming it", async () => {
    const store = await newStore();
    const report = await importOrders(store, write("no-currency.csv", "order_id,customer_id,created_at,total\no-1,c-1,2011-01-02,10\no-2,c-2,2011-01-02,10\n"));
    expect(report.errors).toEqual([{ row: 1, field: "currency", message: expect.stringMatching(/no column "currency"/) }]);
    expect(report.imported).toBe(0);
    expect(await store.getContact("c-1")).toBeUndefined();
  });

  it("separated by ';' gets a hint, and --delimiter ';' reads it", async () => {
    const store = await newStore();
    const semicolons = write("semicolons.csv", `${HEADER.replaceAll(",", ";")}\no-1;c-1;2011-01-02;"12,50";EUR\no-2;c-2;2011-01-03;7;EUR\n`);
    const refused = await importOrders(store, semicolons);
    expect(refused.refused).toMatch(/looks separated by ";": import it with --delimiter ';'/);
    expect(await store.getContact("c-1")).toBeUndefined();
    const report = await importOrders(store, semicolons, { delimiter: ";" });
    // The decimal comma is still refused, naming the row and column.
    expect(report).toMatchObject({ rows: 2, imported: 1, rejected: 1, errors: [{ row: 2, field: "total", message: 'expected a number, got "12,50"' }] });
    expect(await store.getContact("c-2")).toMatchObject({ revenue: 7 });
  });
});

describe("the S3 upload follows the same rules", () => {
  const upload = async (store: DynamoDbStore, key: string, body: Buffer | string, extra: { ContentType?: string; Metadata?: Record<string, string> } = {}) => {
    const s3 = mockClient(S3Client);
    try {
      s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from(body)]), ...extra }) as never);
      s3.on(PutObjectCommand).resolves({});
      const report = await importUpload({ s3: { bucket: { name: "uploads" }, object: { key, size: body.length } } }, { s3: new S3Client({}), store });
      const written = JSON.parse(String(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body)) as ImportReport;
      return { report, written };
    } finally {
      s3.restore();
    }
  };
  const latin1 = Buffer.from("id,first_name\nk1,José\n", "latin1");

  it("refuses a Windows-1252 upload in its report, and reads it with charset or metadata", async () => {
    const store = await newStore();
    const { report, written } = await upload(store, "imports/contacts/latin1.csv", latin1);
    expect(report.refused).toMatch(/not UTF-8.*Windows-1252/);
    expect(written).toMatchObject({ refused: report.refused, imported: 0 });
    expect(await store.getContact("k1")).toBeUndefined();
    await upload(store, "imports/contacts/latin1.csv", latin1, { ContentType: "text/csv; charset=windows-1252" });
    expect((await store.getContact("k1"))?.profile?.firstName).toBe("José");
    const other = await newStore();
    await upload(other, "imports/contacts/latin1.csv", latin1, { Metadata: { encoding: "latin1" } });
    expect((await other.getContact("k1"))?.profile?.firstName).toBe("José");
  });

  it("refuses a header with a column twice, and reads ';' with metadata delimiter", async () => {
    const store = await newStore();
    const twice = await upload(store, "imports/orders/twice.csv", `${HEADER},currency\n${orderLine(1)},GBP\n`);
    expect(twice.written.errors).toEqual([{ row: 1, field: "currency", message: expect.stringMatching(/twice/) }]);
    expect(await store.getContact("c-1")).toBeUndefined();
    const semicolons = `${HEADER.replaceAll(",", ";")}\no-1;c-1;2011-01-02;7;EUR\n`;
    expect((await upload(store, "imports/orders/semi.csv", semicolons)).report.refused).toMatch(/--delimiter ';'/);
    expect((await upload(store, "imports/orders/semi.csv", semicolons, { Metadata: { delimiter: ";" } })).report).toMatchObject({ imported: 1 });
    expect(await store.getContact("c-1")).toMatchObject({ revenue: 7 });
  });

  it("names the swallowed lines of a stray quote in the report it writes", async () => {
    const store = await newStore();
    const lines = [HEADER, ...Array.from({ length: 10 }, (_, k) => orderLine(k + 1))];
    lines[3] = lines[3]!.replace(",c-", ',"c-');
    lines[5] = lines[5]!.replace(/,EUR$/, '",EUR');
    const { written } = await upload(store, "imports/orders/quote.csv", lines.join("\n"));
    expect(written).toMatchObject({ rows: 10, imported: 7, rejected: 3 });
    expect(written.errors.map((e) => e.row)).toEqual([4, 5, 6]);
  });
});
