import { serviceLogger } from "../adapters/logging/logger.js";
import { z } from "zod";
import { putMetrics } from "../adapters/logging/metrics.js";
import { checkPurchasesStep } from "../domain/workflows/workflow-steps.js";
import { parseEvent } from "./events.js";
import { lambdaHandler } from "./runtime.js";
import { workflowStepDependencies, type WorkflowStepDependencies } from "./workflow-runtime.js";

const logger = serviceLogger("workflow-check-purchases");

export const CheckPurchasesRequest = z.strictObject({
  workflowId: z.string().min(1),
  contactId: z.string().min(1),
  windowDays: z.number().int().min(1),
  /** Which group the contact is measured in: the metrics split by it. */
  group: z.enum(["mailed", "held-out"]).default("mailed"),
});

/** Task "Check purchases in the window"; each measured contact goes to the metrics by workflow and group. */
export const checkPurchasesTask =
  (deps: Pick<WorkflowStepDependencies, "store" | "enrolments" | "clock">) =>
  async (event: unknown): Promise<{ purchased: boolean; orders: number; revenue: number }> => {
    const { group, ...request } = parseEvent(CheckPurchasesRequest, event, "check purchases request");
    const result = await checkPurchasesStep(request, { contacts: deps.store, enrolments: deps.enrolments }, deps.clock());
    putMetrics({ ContactsMeasured: 1, WindowConversions: result.purchased ? 1 : 0, WindowRevenue: result.revenue }, { dimensions: { WorkflowId: request.workflowId, Group: group } });
    return result;
  };

export const handler = lambdaHandler(logger, () => checkPurchasesTask(workflowStepDependencies()));
