import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { z } from "zod";
import { segmentCsv } from "../adapters/csv/segment-csv.js";
import type { DynamoDbStore } from "../adapters/dynamodb/dynamodb-store.js";
import { serviceLogger } from "../adapters/logging/logger.js";
import { exportFilename, exportKey, MAX_URL_EXPIRY_SECONDS, signExportDownload, writeExportObject } from "../adapters/s3/segment-export.js";
import { ExportId, runSegmentExport, type SegmentExportJob, type SegmentExportPorts } from "../domain/segments/segment-export-job.js";
import { isCurrency } from "../domain/store/money.js";
import { parseEvent } from "./events.js";
import { BadEnvironmentError, parseEnvironment } from "../adapters/files/bad-environment.js";
import { lambdaHandler, once, tableStore } from "./runtime.js";

const logger = serviceLogger("segment-export");

/** What the export state machine passes the exporter: the job to run (POST /segments/{id}/export recorded it). */
export const SegmentExportEvent = z.object({ exportId: ExportId });

/** The export's settings from the Lambda's environment (lib/segment-export.ts sets them). */
const ExportSettings = z.object({
  EXPORT_BUCKET: z.string().min(1, "EXPORT_BUCKET is not set"),
  EXPORT_URL_EXPIRES_SECONDS: z.coerce.number().int().min(60).max(MAX_URL_EXPIRY_SECONDS).default(3600),
  /** Days the bucket keeps an export (its lifecycle rule). */
  EXPORT_RETENTION_DAYS: z.coerce.number().int().min(1).default(7),
  /** The export state machine; the API's Lambda starts it, the exporter does not need it. */
  EXPORT_STATE_MACHINE_ARN: z.string().min(1).optional(),
  /** The store's currency, named on every row of the file (lib/clv-stack.ts sets it on every function). */
  STORE_CURRENCY: z.string().refine(isCurrency, "STORE_CURRENCY is not an ISO 4217 currency").optional(),
});

export interface SegmentExportAws {
  s3: Pick<S3Client, "send">;
  /** The signer needs a whole client (its config and credentials). */
  signer: S3Client;
  sfn: Pick<SFNClient, "send">;
}

/**
 * The export jobs on AWS: jobs in the table, the file in the exports bucket by multipart upload, the
 * run started as an execution of the export state machine (named by the export id, so a repeated
 * start is the same execution), the download a pre-signed URL.
 */
export function segmentExportPorts(store: DynamoDbStore, env: NodeJS.ProcessEnv = process.env, aws?: SegmentExportAws, clock: () => number = Date.now): SegmentExportPorts {
  const settings = parseEnvironment(ExportSettings, env);
  const signer = aws?.signer ?? new S3Client({});
  const target = { s3: (aws?.s3 ?? signer) as S3Client, bucket: settings.EXPORT_BUCKET };
  const sfn = aws?.sfn ?? new SFNClient({});
  return {
    jobs: store.exportJobs,
    clock,
    segmentExists: async (segmentId) => (await store.listSegmentDefinitions()).some((d) => d.id === segmentId),
    startJob: async (job: SegmentExportJob) => {
      if (!settings.EXPORT_STATE_MACHINE_ARN) throw new BadEnvironmentError("EXPORT_STATE_MACHINE_ARN is not set");
      await sfn.send(new StartExecutionCommand({ stateMachineArn: settings.EXPORT_STATE_MACHINE_ARN, name: job.exportId, input: JSON.stringify({ exportId: job.exportId }) }));
    },
    writeExport: async (job) => {
      const csv = await segmentCsv(store, job.segmentId, { mailable: job.mailable, ...(settings.STORE_CURRENCY && { currency: settings.STORE_CURRENCY }) });
      const key = exportKey(job.segmentId, job.exportId);
      await writeExportObject(target, csv.chunks, { key, filename: exportFilename(job.segmentId, Date.parse(job.requestedAt)) });
      return { key, members: csv.members, notMailable: csv.notMailable };
    },
    download: (key, now, notAfter) => signExportDownload({ s3: signer, bucket: settings.EXPORT_BUCKET }, key, { now, expiresInSeconds: settings.EXPORT_URL_EXPIRES_SECONDS, notAfter }),
    retentionMs: settings.EXPORT_RETENTION_DAYS * 86_400_000,
  };
}

/**
 * The exporter: runs the job it is given (running → the CSV streamed to S3 a page of members at a
 * time → done with the key and rows, or failed with the reason) and answers the job as it ended, so
 * the state machine can tell a failed export from a finished one.
 */
export const exportSegmentHandler =
  (ports: () => Promise<Pick<SegmentExportPorts, "jobs" | "clock" | "writeExport">>) =>
  async (event: unknown): Promise<SegmentExportJob> => {
    const { exportId } = parseEvent(SegmentExportEvent, event, "segment export event");
    const job = await runSegmentExport(await ports(), exportId);
    if (job.status === "failed") logger.warn("segment export failed", { exportId, segmentId: job.segmentId, reason: job.reason });
    return job;
  };

export const handler = lambdaHandler(logger, () => {
  const ports = once(async () => segmentExportPorts(tableStore()));
  return exportSegmentHandler(ports);
});
