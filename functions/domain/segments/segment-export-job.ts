import { z } from "zod";
import { SegmentNotFoundError } from "./segment-definition.js";

/*
 * A segment export as a job (flow: POST /segments/{id}/export → the job, pending → the exporter runs
 * it: running → done with the file's key and rows, or failed with the reason → GET /exports/{id}).
 * A million members take minutes to write, longer than an HTTP request may last (API Gateway: 30 s),
 * so the request only records the job and starts it; whoever asks later reads its state.
 */

export const EXPORT_STATUSES = ["pending", "running", "done", "failed"] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** An export id as newExportId makes them (a UUID); the only shape the GET route reads. */
export const ExportId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be an export id, as POST /segments/{id}/export answered it");

export interface SegmentExportJob {
  exportId: string;
  segmentId: string;
  /** Only members that may be mailed now. */
  mailable: boolean;
  status: ExportStatus;
  /** ISO times. */
  requestedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Where the file is (an S3 key, or a local path); set when done. */
  key?: string;
  /** Rows written; set when done. */
  members?: number;
  /** Members left out because they may not be mailed (with mailable); set when done. */
  notMailable?: number;
  /** Why it failed, in words; set when failed. */
  reason?: string;
}

/** What the exporter reports when the file is written. */
export interface ExportWritten {
  key: string;
  members: number;
  notMailable: number;
}

/** Where the jobs are kept (ExportJobItems in the table). Each write is a single conditional write. */
export interface ExportJobStore {
  createExportJob(job: SegmentExportJob): Promise<void>;
  getExportJob(exportId: string): Promise<SegmentExportJob | undefined>;
  /** Pending → running; false when the job is not pending (already run, or failed). */
  markExportRunning(exportId: string, at: string): Promise<boolean>;
  markExportDone(exportId: string, written: ExportWritten, at: string): Promise<void>;
  markExportFailed(exportId: string, reason: string, at: string): Promise<void>;
}

/** A download of a finished export: a link that works until expiresAt (a local file's does not expire). */
export interface ExportDownload {
  url: string;
  expiresAt?: string;
}

export interface SegmentExportPorts {
  jobs: ExportJobStore;
  clock: () => number;
  /** Whether the segment exists (a typo gives a 404 at once, not a failed job later). */
  segmentExists: (segmentId: string) => Promise<boolean>;
  /** Starts the job's run elsewhere (Step Functions on AWS, in-process locally) and returns without waiting for it. */
  startJob: (job: SegmentExportJob) => Promise<void>;
  /** Writes the job's CSV where exports go. */
  writeExport: (job: SegmentExportJob) => Promise<ExportWritten>;
  /** A link to a finished export's file, that works no later than notAfter (epoch ms: when the file is deleted). */
  download: (key: string, now: number, notAfter: number) => Promise<ExportDownload>;
  /** How long the store keeps a finished export before deleting it (the bucket's lifecycle rule). */
  retentionMs: number;
  /** A new export id; crypto.randomUUID by default. */
  newId?: () => string;
}

/**
 * Records a pending export of the segment and starts it. When it cannot be started the job is
 * recorded as failed with the reason, and the error goes on to the caller.
 */
export async function requestSegmentExport(ports: SegmentExportPorts, segmentId: string, options: { mailable?: boolean } = {}): Promise<SegmentExportJob> {
  if (!(await ports.segmentExists(segmentId))) throw new SegmentNotFoundError(segmentId);
  const job: SegmentExportJob = {
    exportId: (ports.newId ?? (() => crypto.randomUUID()))(),
    segmentId,
    mailable: options.mailable ?? false,
    status: "pending",
    requestedAt: new Date(ports.clock()).toISOString(),
  };
  await ports.jobs.createExportJob(job);
  try {
    await ports.startJob(job);
  } catch (error) {
    await ports.jobs.markExportFailed(job.exportId, `the export could not be started: ${messageOf(error)}`, new Date(ports.clock()).toISOString());
    throw error;
  }
  return job;
}

/**
 * Runs a pending job: running, then the file written and the job done, or the job failed with the
 * reason. A job that is not pending (run twice by a retry) is left as it is. Never throws for the
 * export's own failure: the job records it, and the outcome says so.
 */
export async function runSegmentExport(ports: Pick<SegmentExportPorts, "jobs" | "clock" | "writeExport">, exportId: string): Promise<SegmentExportJob> {
  const at = () => new Date(ports.clock()).toISOString();
  const job = await ports.jobs.getExportJob(exportId);
  if (!job) throw new Error(`no export job "${exportId}"`);
  if (!(await ports.jobs.markExportRunning(exportId, at()))) return (await ports.jobs.getExportJob(exportId)) ?? job;
  try {
    const written = await ports.writeExport(job);
    await ports.jobs.markExportDone(exportId, written, at());
  } catch (error) {
    await ports.jobs.markExportFailed(exportId, messageOf(error), at());
  }
  return (await ports.jobs.getExportJob(exportId))!;
}

/** What GET /exports/{id} answers: 200 with the state (and the link when done), 410 once the file is deleted. */
export interface ExportJobAnswer {
  statusCode: 200 | 410;
  body: Record<string, unknown>;
}

export async function exportJobAnswer(ports: Pick<SegmentExportPorts, "download" | "retentionMs">, job: SegmentExportJob, now: number): Promise<ExportJobAnswer> {
  const { exportId, segmentId, mailable, status, requestedAt } = job;
  const base = { exportId, segmentId, mailable, status, requestedAt, ...(job.startedAt && { startedAt: job.startedAt }) };
  if (status === "pending" || status === "running") return { statusCode: 200, body: { ...base, status: "running" } };
  if (status === "failed") return { statusCode: 200, body: { ...base, finishedAt: job.finishedAt, reason: job.reason ?? "the export failed" } };
  const deletedAt = Date.parse(job.finishedAt!) + ports.retentionMs;
  if (now >= deletedAt) return { statusCode: 410, body: { ...base, finishedAt: job.finishedAt, error: `the export's file was deleted on ${new Date(deletedAt).toISOString()}: request a new export` } };
  const link = await ports.download(job.key!, now, deletedAt);
  return { statusCode: 200, body: { ...base, finishedAt: job.finishedAt, members: job.members, ...(mailable && { notMailable: job.notMailable }), url: link.url, ...(link.expiresAt && { expiresAt: link.expiresAt }) } };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The export routes' side of the jobs: request one, read one's state (undefined: no such job). */
export interface SegmentExports {
  request(segmentId: string, options?: { mailable?: boolean }): Promise<SegmentExportJob>;
  answer(exportId: string): Promise<ExportJobAnswer | undefined>;
}

export function segmentExports(ports: SegmentExportPorts): SegmentExports {
  return {
    request: (segmentId, options) => requestSegmentExport(ports, segmentId, options),
    answer: async (exportId) => {
      const job = await ports.jobs.getExportJob(exportId);
      return job && exportJobAnswer(ports, job, ports.clock());
    },
  };
}
