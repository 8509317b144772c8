import { z } from "zod";
import { checkPurchasesStep } from "../domain/workflows/workflow-steps.js";
import { parseEvent } from "./events.js";
import { lambdaHandler } from "./runtime.js";
import { workflowStepDependencies, type WorkflowStepDependencies } from "./workflow-runtime.js";

export const CheckPurchasesRequest = z.strictObject({ workflowId: z.string().min(1), contactId: z.string().min(1), windowDays: z.number().int().min(1) });

/** Task "Check purchases in the window". */
export const checkPurchasesTask =
  (deps: Pick<WorkflowStepDependencies, "store" | "enrolments" | "clock">) =>
  async (event: unknown): Promise<{ purchased: boolean; orders: number; revenue: number }> =>
    checkPurchasesStep(parseEvent(CheckPurchasesRequest, event, "check purchases request"), { contacts: deps.store, enrolments: deps.enrolments }, deps.clock());

export const handler = lambdaHandler(() => checkPurchasesTask(workflowStepDependencies()));
