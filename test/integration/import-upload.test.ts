import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importUpload } from "../../functions/handlers/import-upload.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";

/** The S3 upload path of the bulk import: S3 mocked, the store in dynalite. */
describe("bulk import from an S3 upload", () => {
  let local: LocalStore;
  const s3 = mockClient(S3Client);
  beforeAll(async () => {
    local = await openLocalStore();
  });
  afterAll(async () => {
    await local.close();
  });

  const csv = ["order_id,customer_id,created_at,total,currency", "1,ann,2024-05-01T10:00:00Z,30,EUR", "2,ann,2024-05-03T10:00:00Z,abc,EUR", "3,bob,2024-05-04,12.5,EUR"].join("\n");
  const record = (key: string) => ({ s3: { bucket: { name: "uploads" }, object: { key, size: csv.length } } });

  it("imports the object, reports the bad row, and writes the report beside it", async () => {
    s3.reset();
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([csv]) }) as never);
    s3.on(PutObjectCommand).resolves({});
    const report = await importUpload(record("imports/orders/may+2024.csv"), { s3: new S3Client({}), store: local.store });
    expect(report).toMatchObject({ rows: 3, imported: 2, rejected: 1 });
    expect(report.errors).toEqual([{ row: 3, field: "total", message: 'expected a number, got "abc"' }]);
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({ Bucket: "uploads", Key: "imports/orders/may 2024.csv" });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.Key).toBe("reports/orders/may 2024.csv.json");
    expect(JSON.parse(String(put.Body))).toMatchObject({ key: "imports/orders/may 2024.csv", imported: 2, rejected: 1 });
    expect((await local.store.getContact("bob"))!.history).toMatchObject({ orderCount: 1, revenue: 12.5 });
  });

  it("imports two uploads at once as if one after the other: the importer reserves no concurrency", async () => {
    // Prepare: two files sharing 40 of their 60 orders (the batch path: 25 orders or more), 10 contacts.
    const row = (i: number) => `c${i},contact-${i % 10},2024-0${1 + (i % 9)}-1${i % 10}T10:00:00Z,${10 + i},EUR`;
    const file = (from: number, to: number) => ["order_id,customer_id,created_at,total,currency", ...Array.from({ length: to - from }, (_, k) => row(from + k))].join("\n");
    const files: Record<string, string> = { "imports/orders/a.csv": file(0, 60), "imports/orders/b.csv": file(20, 80) };
    s3.reset();
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => ({ Body: Readable.from([files[input.Key]!]) }) as never);
    s3.on(PutObjectCommand).resolves({});
    const concurrent = await openLocalStore();
    try {
      // Act: both at once, as two Lambda instances would.
      const reports = await Promise.all(Object.keys(files).map((key) => importUpload(record(key), { s3: new S3Client({}), store: concurrent.store })));
      // Assess: every order counted once, whichever import got there first.
      expect(reports.reduce((n, r) => n + r.imported, 0)).toBe(80);
      expect(reports.reduce((n, r) => n + r.duplicates, 0)).toBe(40);
      for (let c = 0; c < 10; c++) {
        const orders = Array.from({ length: 80 }, (_, i) => i).filter((i) => i % 10 === c);
        expect((await concurrent.store.getContact(`contact-${c}`))!.history, `contact-${c}`).toMatchObject({
          orderCount: orders.length,
          revenue: orders.reduce((sum, i) => sum + 10 + i, 0),
        });
      }
    } finally {
      await concurrent.close();
    }
  });

  it("refuses an object outside the import prefixes", async () => {
    await expect(importUpload(record("elsewhere/orders.csv"), { s3: new S3Client({}), store: local.store })).rejects.toThrow("not under imports/orders/");
  });
});
