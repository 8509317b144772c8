import { z } from "zod";
import { serviceLogger } from "../adapters/logging/logger.js";
import { putMetrics } from "../adapters/logging/metrics.js";
import { finishNightlyRun, type NightlyStore, type NightlySummary, type ScanSegmentResult } from "../domain/nightly/nightly-scoring.js";
import { parseEvent } from "./events.js";
import { lambdaHandler, once, tableStore } from "./runtime.js";

const Pair = z.tuple([z.number(), z.number()]);
const Tally = z.object({ size: z.number(), historicClv: Pair, predictedClv12m: Pair, totalClv: Pair, churnRisk: Pair, rfmMix: z.record(z.string(), z.number()) });

export const NightlyFinish = z.object({
  runId: z.string().min(1),
  results: z.array(
    z.object({
      segment: z.number().int(),
      contacts: z.number().int(),
      scoresWritten: z.number().int(),
      segments: z.record(z.string(), z.object({ entered: z.number().int(), left: z.number().int(), tally: Tally })),
    }),
  ),
});

const logger = serviceLogger("nightly-finish");

/** Step 3 of the night: add up the scan segments and mark the run complete. */
export const finishNight =
  (deps: { store: () => Promise<NightlyStore>; clock: () => number }) =>
  async (event: unknown): Promise<NightlySummary> => {
    const { runId, results } = parseEvent(NightlyFinish, event, "nightly finish");
    const summary = await finishNightlyRun(await deps.store(), runId, results as ScanSegmentResult[], deps.clock());
    // One record per segment: each is its own metric (dimension SegmentId).
    for (const segment of summary.segments) putMetrics({ SegmentSize: segment.analytics.size }, { dimensions: { SegmentId: segment.id }, properties: { runId, entered: segment.entered, left: segment.left } });
    logger.info("night complete", { runId, contacts: summary.contacts, scoresWritten: summary.scoresWritten, model: summary.model, segments: summary.segments.map((s) => ({ id: s.id, size: s.analytics.size, entered: s.entered, left: s.left })) });
    return summary;
  };

export const handler = lambdaHandler(logger, () => finishNight({ store: once(async () => tableStore()), clock: Date.now }));
