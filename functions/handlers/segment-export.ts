import { serviceLogger } from "../adapters/logging/logger.js";
import { S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { segmentCsv, type SegmentExportStore } from "../adapters/csv/segment-csv.js";
import { MAX_URL_EXPIRY_SECONDS, putSegmentExport, type SegmentExportLink } from "../adapters/s3/segment-export.js";
import { SegmentDefinition } from "../domain/segments/segment-definition.js";
import { parseEvent } from "./events.js";
import { handlerEnvironment, lambdaHandler, once, tableStore } from "./runtime.js";

const logger = serviceLogger("segment-export");

/** What the export is asked: which segment. The HTTP route `POST /segments/{id}/export` passes the path's id. */
export const SegmentExportEvent = z.object({
  segmentId: SegmentDefinition.shape.id,
  /** Only members that may be mailed now (mailPermission): a file meant for a mailing tool. */
  mailable: z.boolean({ error: "must be true or false" }).default(false),
});

/** The export's settings from the Lambda's environment (lib/segment-export.ts sets them). */
const ExportSettings = z.object({
  EXPORT_BUCKET: z.string().min(1, "EXPORT_BUCKET is not set"),
  EXPORT_URL_EXPIRES_SECONDS: z.coerce.number().int().min(60).max(MAX_URL_EXPIRY_SECONDS).default(3600),
});

export interface SegmentExportDependencies {
  store: () => Promise<SegmentExportStore>;
  s3: S3Client;
  bucket: string;
  expiresInSeconds: number;
  clock: () => number;
}

export type SegmentExportResult = SegmentExportLink;

/**
 * CSV of a segment's members with e-mail and every figure, put in the exports bucket, answered with a
 * pre-signed URL that expires. An unknown segment fails with SegmentNotFoundError (a 404 for a route).
 */
export const exportSegmentHandler =
  (deps: SegmentExportDependencies) =>
  async (event: unknown): Promise<SegmentExportResult> => {
    const { segmentId, mailable } = parseEvent(SegmentExportEvent, event, "segment export request");
    const csv = await segmentCsv(await deps.store(), segmentId, { mailable });
    return putSegmentExport({ s3: deps.s3, bucket: deps.bucket }, csv, { now: deps.clock(), expiresInSeconds: deps.expiresInSeconds });
  };

/** The dependencies on AWS (or locally with DYNAMODB_ENDPOINT), from the environment; for this Lambda and any that exports in-process. */
export function segmentExportDependencies(env: NodeJS.ProcessEnv = process.env): SegmentExportDependencies {
  const settings = parseEvent(ExportSettings, env, "environment");
  return { store: once(async () => tableStore(handlerEnvironment(env))), s3: new S3Client({}), bucket: settings.EXPORT_BUCKET, expiresInSeconds: settings.EXPORT_URL_EXPIRES_SECONDS, clock: Date.now };
}

export const handler = lambdaHandler(logger, () => exportSegmentHandler(segmentExportDependencies()));
