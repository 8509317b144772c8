import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { segmentCsv } from "../adapters/csv/segment-csv.js";
import type { DynamoDbStore } from "../adapters/dynamodb/dynamodb-store.js";
import { runSegmentExport, segmentExports, type SegmentExports, type SegmentExportPorts } from "../domain/segments/segment-export-job.js";

/** Where `npm run serve` writes exports: .out/ is ignored by git. */
export const DEFAULT_EXPORTS_DIR = process.env.CLV_EXPORTS_DIR ?? ".out/exports";

export interface LocalSegmentExports extends SegmentExports {
  /** Resolves once every export started so far has finished (done or failed). */
  idle(): Promise<void>;
}

/**
 * Segment export jobs on this machine: the same jobs in the local table and the same CSV as on AWS,
 * the run in this process (started, not awaited, as the state machine would), the file in
 * `dir/<segment>/<export id>.csv`, and the download its file:// URL, which does not expire; the file
 * stays until it is deleted by hand.
 */
export function localSegmentExports(store: DynamoDbStore, options: { dir?: string; clock?: () => number; currency?: string } = {}): LocalSegmentExports {
  const dir = resolve(options.dir ?? DEFAULT_EXPORTS_DIR);
  const running = new Set<Promise<unknown>>();
  const ports: SegmentExportPorts = {
    jobs: store.exportJobs,
    clock: options.clock ?? Date.now,
    segmentExists: async (segmentId) => (await store.listSegmentDefinitions()).some((d) => d.id === segmentId),
    startJob: async (job) => {
      const run = runSegmentExport(ports, job.exportId).catch(() => undefined);
      running.add(run);
      void run.finally(() => running.delete(run));
    },
    writeExport: async (job) => {
      const key = join(dir, job.segmentId, `${job.exportId}.csv`);
      mkdirSync(dirname(key), { recursive: true });
      const csv = await segmentCsv(store, job.segmentId, { mailable: job.mailable, ...(options.currency && { currency: options.currency }) });
      await pipeline(Readable.from(csv.chunks), createWriteStream(key));
      return { key, members: csv.members, notMailable: csv.notMailable };
    },
    download: async (key) => ({ url: pathToFileURL(key).href }),
    retentionMs: Infinity,
  };
  return {
    ...segmentExports(ports),
    idle: async () => {
      while (running.size > 0) await Promise.all(running);
    },
  };
}
