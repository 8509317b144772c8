import type { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { S3Event } from "aws-lambda";
import { z } from "zod";
import { importContacts, importOrders, type ImportReport } from "../adapters/csv/import-csv.js";
import { csvEncodings, type CsvEncoding, type CsvSource } from "../adapters/csv/csv-records.js";
import { serviceLogger } from "../adapters/logging/logger.js";
import type { DynamoDbStore } from "../adapters/dynamodb/dynamodb-store.js";
import { lambdaHandler, orderRules, tableStore } from "./runtime.js";
import type { OrderRules } from "../domain/store/order.js";

/** Where uploads go and what each prefix holds; the report of `imports/orders/x.csv` is `reports/orders/x.csv.json`. */
export const IMPORT_PREFIXES = { orders: "imports/orders/", contacts: "imports/contacts/" } as const;

const UploadRecord = z.object({
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1), size: z.number().int().nonnegative().optional() }),
  }),
});

export interface UploadDependencies {
  s3: Pick<S3Client, "send">;
  store: DynamoDbStore;
  /** The store's currency and earliest order date (the deploy parameters), and the clock; the defaults when not given. */
  orderRules?: OrderRules;
}

/**
 * Imports one uploaded CSV object (S3 keys are URL-encoded in events, spaces as "+"), streaming it
 * through the same import as `clv import`, and writes the report beside it under reports/.
 */
export async function importUpload(record: unknown, deps: UploadDependencies): Promise<ImportReport> {
  const { s3 } = UploadRecord.parse(record);
  const bucket = s3.bucket.name;
  const key = decodeURIComponent(s3.object.key.replace(/\+/g, " "));
  const kind = key.startsWith(IMPORT_PREFIXES.orders) ? "orders" : key.startsWith(IMPORT_PREFIXES.contacts) ? "contacts" : undefined;
  if (!kind) throw new Error(`${key}: not under ${IMPORT_PREFIXES.orders} or ${IMPORT_PREFIXES.contacts}`);
  // The object is read twice (its encoding checked, then imported), so each read is a GetObject of its own.
  const first = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  let firstBody: Readable | undefined = first.Body as Readable;
  const source: CsvSource = {
    name: key,
    ...(s3.object.size !== undefined && { size: s3.object.size }),
    open: async () => {
      const body = firstBody ?? ((await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable);
      firstBody = undefined;
      return body;
    },
  };
  const reading = uploadReading(first.ContentType, first.Metadata);
  const report = kind === "orders" ? await importOrders(deps.store, source, { ...deps.orderRules, ...reading }) : await importContacts(deps.store, source, reading);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `reports/${key.slice("imports/".length)}.json`,
      ContentType: "application/json",
      Body: JSON.stringify({ key, importedAt: new Date().toISOString(), ...report }, null, 2),
    }),
  );
  return report;
}

/**
 * How to read an upload that is not comma-separated UTF-8: the charset of its Content-Type
 * (`text/csv; charset=windows-1252`) or its metadata `encoding`, and its metadata `delimiter`
 * (`aws s3 cp orders.csv s3://…/imports/orders/ --metadata delimiter=';',encoding=windows-1252`).
 */
export function uploadReading(contentType: string | undefined, metadata: Record<string, string> | undefined): { encoding?: CsvEncoding; delimiter?: string } {
  const charset = /charset=["']?([\w-]+)/i.exec(contentType ?? "")?.[1]?.toLowerCase();
  const named = (metadata?.encoding ?? charset)?.toLowerCase();
  const encoding = named === "iso-8859-1" ? "latin1" : named === "utf8" ? "utf-8" : named === "cp1252" ? "windows-1252" : named;
  const delimiter = metadata?.delimiter === "\\t" || metadata?.delimiter === "tab" ? "\t" : metadata?.delimiter;
  return {
    ...(encoding && (csvEncodings as readonly string[]).includes(encoding) && { encoding: encoding as CsvEncoding }),
    ...(delimiter && delimiter.length === 1 && { delimiter }),
  };
}

let deps: UploadDependencies | undefined;
const logger = serviceLogger("import-upload");

/** S3 ObjectCreated under imports/ → import the file into the store's table. */
export const handler = lambdaHandler(logger, () => async (event: S3Event): Promise<void> => {
  deps ??= { s3: new S3Client({}), store: tableStore(), orderRules: orderRules() };
  for (const record of event.Records) {
    const report = await importUpload(record, deps);
    // Counts only: the report under reports/ has the rows; a log line must not carry their addresses.
    logger.info("import done", { key: record.s3.object.key, rows: report.rows, imported: report.imported, duplicates: report.duplicates, rejected: report.rejected, refused: report.refused !== undefined });
  }
});
