import { serviceLogger } from "../adapters/logging/logger.js";
import { z } from "zod";
import { workflowOutcomes } from "../domain/workflows/enrolment.js";
import { recordOutcomeStep } from "../domain/workflows/workflow-steps.js";
import { parseEvent } from "./events.js";
import { lambdaHandler } from "./runtime.js";
import { workflowStepDependencies, type WorkflowStepDependencies } from "./workflow-runtime.js";

const logger = serviceLogger("workflow-record-outcome");

export const RecordOutcomeRequest = z.strictObject({
  workflowId: z.string().min(1),
  contactId: z.string().min(1),
  outcome: z.enum(workflowOutcomes),
  /** A caught error's Cause, on the failure path. */
  error: z.string().optional(),
});

/** Tasks that end a path: not in segment, left the segment, purchased, failed. */
export const recordOutcomeTask =
  (deps: Pick<WorkflowStepDependencies, "enrolments" | "clock">) =>
  async (event: unknown): Promise<{ outcome: string }> =>
    recordOutcomeStep(parseEvent(RecordOutcomeRequest, event, "record outcome request"), deps, deps.clock());

export const handler = lambdaHandler(logger, () => recordOutcomeTask(workflowStepDependencies()));
