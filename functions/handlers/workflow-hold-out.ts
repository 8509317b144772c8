import { z } from "zod";
import { serviceLogger } from "../adapters/logging/logger.js";
import { putMetrics } from "../adapters/logging/metrics.js";
import { holdOutStep } from "../domain/workflows/workflow-steps.js";
import { parseEvent } from "./events.js";
import { lambdaHandler } from "./runtime.js";
import { workflowStepDependencies, type WorkflowStepDependencies } from "./workflow-runtime.js";

const logger = serviceLogger("workflow-hold-out");

export const HoldOutRequest = z.strictObject({ workflowId: z.string().min(1), contactId: z.string().min(1) });

/** Task "Check the held-out contact": the control group's counterpart of the send step's checks. */
export const holdOutTask =
  (deps: Pick<WorkflowStepDependencies, "store" | "enrolments" | "clock">) =>
  async (event: unknown): Promise<{ mailable: boolean }> => {
    const request = parseEvent(HoldOutRequest, event, "hold-out request");
    const result = await holdOutStep(request, { contacts: deps.store, enrolments: deps.enrolments }, deps.clock());
    if (result.mailable) putMetrics({ ContactsHeldOut: 1 }, { dimensions: { WorkflowId: request.workflowId } });
    return result;
  };

export const handler = lambdaHandler(logger, () => holdOutTask(workflowStepDependencies()));
