import { z } from "zod";
import { scoreScanSegment, type NightlyStore, type ScanSegmentResult } from "../domain/nightly/nightly-scoring.js";
import { parseEvent } from "./events.js";
import { once, tableStore } from "./runtime.js";

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
  async (event: unknown): Promise<ScanSegmentResult> =>
    scoreScanSegment(await deps.store(), parseEvent(ScanSegmentTaskEvent, event, "scan segment task"));

export const handler = scoreSegment({ store: once(async () => tableStore()) });
