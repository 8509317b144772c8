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

  it("refuses an object outside the import prefixes", async () => {
    await expect(importUpload(record("elsewhere/orders.csv"), { s3: new S3Client({}), store: local.store })).rejects.toThrow("not under imports/orders/");
  });
});
