import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { ExportDownload } from "../../domain/segments/segment-export-job.js";

/** Where exports go in the bucket; the bucket's lifecycle rule and the Lambdas' grants are on this prefix. */
export const EXPORT_PREFIX = "exports/";

/** SigV4 pre-signed URLs live at most 7 days. */
export const MAX_URL_EXPIRY_SECONDS = 7 * 24 * 3600;

/**
 * A part of a multipart upload: S3 takes 5 MiB to 5 GiB a part (the last may be smaller) and at most
 * 10,000 parts, so 8 MiB parts carry files up to 80 GB — a million members are about 40 parts.
 */
export const EXPORT_PART_BYTES = 8 * 1024 * 1024;
const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

export interface SegmentExportTarget {
  s3: S3Client;
  bucket: string;
}

/** exports/<segment>/<export id>.csv: one key per job, nothing in it that needs escaping in a URL. */
export function exportKey(segmentId: string, exportId: string): string {
  return `${EXPORT_PREFIX}${segmentId}/${exportId}.csv`;
}

/** The name a browser saves the file under: <segment>-<day>.csv. */
export function exportFilename(segmentId: string, at: number): string {
  return `${segmentId}-${new Date(at).toISOString().slice(0, 10)}.csv`;
}

/**
 * Writes the CSV's chunks to the bucket as they come, holding at most one part in memory: a file
 * smaller than a part goes as one PutObject; a larger one as a multipart upload (the S3 API of
 * client-s3 itself: CreateMultipartUpload, UploadPart, CompleteMultipartUpload), aborted if anything
 * fails, so no half file is left (the bucket's lifecycle rule also aborts any left after a day).
 */
export async function writeExportObject(
  target: SegmentExportTarget,
  chunks: AsyncIterable<string>,
  object: { key: string; filename: string; partBytes?: number },
): Promise<{ bytes: number; parts: number }> {
  const partBytes = object.partBytes ?? EXPORT_PART_BYTES;
  if (partBytes < MIN_PART_BYTES) throw new RangeError(`a multipart upload's parts are at least 5 MiB, got ${partBytes} bytes`);
  const head = { Bucket: target.bucket, Key: object.key, ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="${object.filename}"` };
  let buffered: Buffer[] = [];
  let bufferedBytes = 0;
  let bytes = 0;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  const takeBuffer = () => {
    const body = Buffer.concat(buffered, bufferedBytes);
    buffered = [];
    bufferedBytes = 0;
    return body;
  };
  const uploadPart = async (body: Buffer) => {
    uploadId ??= (await target.s3.send(new CreateMultipartUploadCommand(head))).UploadId;
    if (!uploadId) throw new Error(`S3 gave no upload id for ${object.key}`);
    const PartNumber = parts.length + 1;
    if (PartNumber > MAX_PARTS) throw new Error(`the export is larger than ${MAX_PARTS} parts of ${partBytes} bytes`);
    const { ETag } = await target.s3.send(new UploadPartCommand({ Bucket: target.bucket, Key: object.key, UploadId: uploadId, PartNumber, Body: body }));
    parts.push({ ETag, PartNumber });
  };
  try {
    for await (const chunk of chunks) {
      const data = Buffer.from(chunk, "utf8");
      buffered.push(data);
      bufferedBytes += data.length;
      bytes += data.length;
      if (bufferedBytes >= partBytes) await uploadPart(takeBuffer());
    }
    if (uploadId === undefined) {
      await target.s3.send(new PutObjectCommand({ ...head, Body: takeBuffer() }));
      return { bytes, parts: 1 };
    }
    if (bufferedBytes > 0) await uploadPart(takeBuffer());
    await target.s3.send(new CompleteMultipartUploadCommand({ Bucket: target.bucket, Key: object.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    return { bytes, parts: parts.length };
  } catch (error) {
    if (uploadId !== undefined) await target.s3.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: object.key, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}

/**
 * A pre-signed GET of an export that expires after `expiresInSeconds`, or at `notAfter` if that is
 * sooner (when the bucket deletes the file). It is signed with the caller's credentials (the API
 * Lambda's role), so it works only while that role may s3:GetObject the key.
 */
export async function signExportDownload(target: SegmentExportTarget, key: string, options: { now: number; expiresInSeconds: number; notAfter?: number }): Promise<ExportDownload> {
  if (!Number.isInteger(options.expiresInSeconds) || options.expiresInSeconds < 1 || options.expiresInSeconds > MAX_URL_EXPIRY_SECONDS) {
    throw new RangeError(`an export URL expires after 1 to ${MAX_URL_EXPIRY_SECONDS} seconds (7 days), got ${options.expiresInSeconds}`);
  }
  const untilDeleted = options.notAfter === undefined ? Infinity : Math.floor((options.notAfter - options.now) / 1000);
  const expiresIn = Math.max(1, Math.min(options.expiresInSeconds, untilDeleted));
  const url = await getSignedUrl(target.s3, new GetObjectCommand({ Bucket: target.bucket, Key: key }), {
    expiresIn,
    // Signed at the injected clock's time, so expiresAt is exactly what the URL says.
    signingDate: new Date(options.now),
  });
  return { url, expiresAt: new Date(options.now + expiresIn * 1000).toISOString() };
}
