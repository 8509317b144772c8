import { z } from "zod";
import { sendEmailStep } from "../domain/workflows/workflow-steps.js";
import { parseEvent } from "./events.js";
import { lambdaHandler } from "./runtime.js";
import { workflowStepDependencies, type WorkflowStepDependencies } from "./workflow-runtime.js";

export const SendEmailRequest = z.strictObject({
  workflowId: z.string().min(1),
  step: z.enum(["coupon", "reminder"]),
  templateId: z.string().min(1),
  contactId: z.string().min(1),
  executionName: z.string().min(1),
  coupon: z.object({ code: z.string().min(1), expiresAt: z.string().min(1) }),
});

/** Tasks "Send the coupon e-mail" and "Send the reminder". */
export const sendEmailTask =
  (deps: Pick<WorkflowStepDependencies, "email" | "enrolments" | "clock">) =>
  async (event: unknown): Promise<{ sent: boolean; outcome: string }> =>
    sendEmailStep(parseEvent(SendEmailRequest, event, "send e-mail request"), { email: await deps.email(), enrolments: deps.enrolments }, deps.clock());

export const handler = lambdaHandler(() => sendEmailTask(workflowStepDependencies()));
