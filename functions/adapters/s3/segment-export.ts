import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { SegmentCsv } from "../csv/segment-csv.js";

/** Where exports go in the bucket; the bucket's lifecycle rule and the Lambda's grants are on this prefix. */
export const EXPORT_PREFIX = "exports/";

/** SigV4 pre-signed URLs live at most 7 days. */
export const MAX_URL_EXPIRY_SECONDS = 7 * 24 * 3600;

export interface SegmentExportTarget {
  s3: S3Client;
  bucket: string;
}

export interface SegmentExportLink {
  /** A pre-signed GET of the CSV: whoever has it can download the file until it expires. */
  url: string;
  /** ISO time the URL stops working. */
  expiresAt: string;
  key: string;
  members: number;
}

/** exports/<segment>/<time>.csv, with the time's colons as dashes so the key needs no escaping in a URL. */
export function exportKey(segmentId: string, now: number): string {
  return `${EXPORT_PREFIX}${segmentId}/${new Date(now).toISOString().replace(/:/g, "-")}.csv`;
}

/**
 * Puts the segment's CSV in the exports bucket and signs a GET of it that expires. The body is built
 * in memory and sent with one PutObject (about 300 bytes a member: a million members is 300 MB, within
 * the Lambda's memory); @aws-sdk/lib-storage's Upload would stream it in parts, if it is ever added.
 *
 * The URL is signed with the caller's credentials (the Lambda's role), so it works only as long as
 * those credentials do, and only while the role may s3:GetObject the key.
 */
export async function putSegmentExport(target: SegmentExportTarget, csv: SegmentCsv, options: { now: number; expiresInSeconds: number }): Promise<SegmentExportLink> {
  if (!Number.isInteger(options.expiresInSeconds) || options.expiresInSeconds < 1 || options.expiresInSeconds > MAX_URL_EXPIRY_SECONDS) {
    throw new RangeError(`an export URL expires after 1 to ${MAX_URL_EXPIRY_SECONDS} seconds (7 days), got ${options.expiresInSeconds}`);
  }
  const parts: Buffer[] = [];
  for await (const chunk of csv.chunks) parts.push(Buffer.from(chunk, "utf8"));
  const key = exportKey(csv.segmentId, options.now);
  const filename = `${csv.segmentId}-${new Date(options.now).toISOString().slice(0, 10)}.csv`;
  await target.s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: key,
      Body: Buffer.concat(parts),
      ContentType: "text/csv; charset=utf-8",
      // A browser opening the link saves the file under a readable name instead of showing it.
      ContentDisposition: `attachment; filename="${filename}"`,
    }),
  );
  const url = await getSignedUrl(target.s3, new GetObjectCommand({ Bucket: target.bucket, Key: key }), {
    expiresIn: options.expiresInSeconds,
    // Signed at the injected clock's time, so expiresAt is exactly what the URL says.
    signingDate: new Date(options.now),
  });
  return { url, expiresAt: new Date(options.now + options.expiresInSeconds * 1000).toISOString(), key, members: csv.members };
}
