import type { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { S3Event } from "aws-lambda";
import { z } from "zod";
import { importContacts, importOrders, type ImportReport } from "../adapters/csv/import-csv.js";
import { serviceLogger } from "../adapters/logging/logger.js";
import { withRedactedErrors } from "../adapters/logging/redact.js";
import type { DynamoDbStore } from "../adapters/dynamodb/dynamodb-store.js";
import { httpDependencies, orderRules } from "./runtime.js";
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
  const object = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const source = { name: key, ...(s3.object.size !== undefined && { size: s3.object.size }), open: () => object.Body as Readable };
  const report = kind === "orders" ? await importOrders(deps.store, source, { ...deps.orderRules }) : await importContacts(deps.store, source);
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

let deps: UploadDependencies | undefined;
const logger = serviceLogger("import-upload");

/** S3 ObjectCreated under imports/ → import the file into the store's table. */
export const handler = withRedactedErrors(async (event: S3Event): Promise<void> => {
  deps ??= { s3: new S3Client({}), store: httpDependencies().store, orderRules: orderRules() };
  for (const record of event.Records) {
    const report = await importUpload(record, deps);
    // Counts only: the report under reports/ has the rows; a log line must not carry their addresses.
    logger.info("import done", { key: record.s3.object.key, rows: report.rows, imported: report.imported, duplicates: report.duplicates, rejected: report.rejected });
  }
});
