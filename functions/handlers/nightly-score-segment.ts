import { serviceLogger } from "../adapters/logging/logger.js";
import { z } from "zod";
import { putMetrics } from "../adapters/logging/metrics.js";
import { scoreScanSegment, type NightlyStore, type ScanSegmentResult } from "../domain/nightly/nightly-scoring.js";
import { parseEvent } from "./events.js";
import { lambdaHandler, once, tableStore } from "./runtime.js";

const logger = serviceLogger("nightly-score-segment");

export const ScanSegmentTaskEvent = z
  .object({
    runId: z.string().min(1),
    segment: z.number().int().min(0),
    totalSegments: z.number().int().min(1),
  })
  .refine((t) => t.segment < t.totalSegments, { message: "segment must be below totalSegments", path: ["segment"] });

/** Step 2 of the night, one Map item: score a scan segment's contacts, write what changed. */
export const scoreSegment =
  (deps: { store: () => Promise<NightlyStore> }) =>
  async (event: unknown): Promise<ScanSegmentResult> => {
    const task = parseEvent(ScanSegmentTaskEvent, event, "scan segment task");
    const result = await scoreScanSegment(await deps.store(), task);
    // Put once the segment is done: a segment that dies halfway and is run again counts its contacts once.
    putMetrics({ ContactsScored: result.contacts, ScoresWritten: result.scoresWritten }, { properties: { runId: task.runId, segment: task.segment } });
    return result;
  };

export const handler = lambdaHandler(logger, () => scoreSegment({ store: once(async () => tableStore()) }));
