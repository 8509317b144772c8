import { z } from "zod";
import { serviceLogger } from "../adapters/logging/logger.js";
import { putMetrics } from "../adapters/logging/metrics.js";
import { startNightlyRun, type NightlyStore, type ScanSegmentTask } from "../domain/nightly/nightly-scoring.js";
import { parseEvent } from "./events.js";
import { parseEnvironment } from "../adapters/files/bad-environment.js";
import { lambdaHandler, once, tableStore } from "./runtime.js";

/**
 * The schedule's input: the time it fired (EventBridge Scheduler's <aws.scheduler.scheduled-time>),
 * so that re-running a night's execution plans the same night under the same run id.
 */
export const NightlyStart = z.object({
  scheduledTime: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time" }).optional(),
});

const Settings = z.object({
  SCAN_SEGMENTS: z.coerce.number().int().min(1).max(1000).default(8),
});

export interface NightlyPlanOutput {
  runId: string;
  eligible: boolean;
  model: string | null;
  reasons: string[];
  /** The Map's items: one scan segment each. */
  scanSegments: ScanSegmentTask[];
}

export interface NightlyPlanDependencies {
  store: () => Promise<NightlyStore>;
  scanSegments: number;
  clock: () => number;
}

const logger = serviceLogger("nightly-plan");

/** Step 1 of the night: fold every scan segment's histories, fit and select the model on the merged folds, keep the plan. */
export const planNight =
  (deps: NightlyPlanDependencies) =>
  async (event: unknown): Promise<NightlyPlanOutput> => {
  const start = parseEvent(NightlyStart, event, "nightly start");
  const now = start.scheduledTime ? Date.parse(start.scheduledTime) : deps.clock();
  const plan = await startNightlyRun(await deps.store(), now, deps.scanSegments);
  const chosen = plan.run.purchaseModel;
  const holdout = plan.run.holdout?.candidates.find((c) => c.model === chosen?.model);
  const facts = { runId: plan.runId, model: chosen?.model ?? null, contacts: plan.run.contacts, reasons: plan.run.reasons, scans: plan.reading.scans, distinctRows: plan.reading.distinctRows };
  // The squared error is what model selection ranks the candidates by; the absolute error is shown beside it.
  putMetrics(
    { Eligible: plan.run.eligibility.eligible ? 1 : 0, ModelLogLikelihood: chosen?.logLikelihood, HoldoutMeanSquaredError: holdout?.meanSquaredError, HoldoutMeanAbsoluteError: holdout?.meanAbsoluteError },
    { properties: facts },
  );
  logger.info("night planned", { ...facts, logLikelihood: chosen?.logLikelihood, holdoutMeanSquaredError: holdout?.meanSquaredError, holdoutMeanAbsoluteError: holdout?.meanAbsoluteError, converged: chosen?.converged });
  return {
    runId: plan.runId,
    eligible: plan.run.eligibility.eligible,
    model: plan.run.purchaseModel?.model ?? null,
    reasons: plan.run.reasons,
    scanSegments: Array.from({ length: plan.scanSegments }, (_, segment) => ({ runId: plan.runId, segment, totalSegments: plan.scanSegments })),
  };
};

export const handler = lambdaHandler(logger, () => planNight({
  store: once(async () => tableStore()),
  scanSegments: parseEnvironment(Settings, process.env).SCAN_SEGMENTS,
  clock: Date.now,
}));
