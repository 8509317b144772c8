import { serviceLogger } from "../adapters/logging/logger.js";
import { z } from "zod";
import { putMetrics } from "../adapters/logging/metrics.js";
import { withRedactedErrors } from "../adapters/logging/redact.js";
import { sendEmailStep } from "../domain/workflows/workflow-steps.js";
import { parseEvent } from "./events.js";
import { lambdaHandler } from "./runtime.js";
import { workflowStepDependencies, type WorkflowStepDependencies } from "./workflow-runtime.js";

const logger = serviceLogger("workflow-send-email");

export const SendEmailRequest = z.strictObject({
  workflowId: z.string().min(1),
  step: z.enum(["coupon", "reminder"]),
  templateId: z.string().min(1),
  contactId: z.string().min(1),
  executionName: z.string().min(1),
  coupon: z.object({ code: z.string().min(1), expiresAt: z.string().min(1) }),
});

/**
 * Tasks "Send the coupon e-mail" and "Send the reminder". What it throws is redacted: SES names the
 * recipient in its rejections, and the error reaches the Lambda's log and the execution's history.
 */
export const sendEmailTask = (deps: Pick<WorkflowStepDependencies, "email" | "enrolments" | "clock" | "templates">) =>
  withRedactedErrors(async (event: unknown): Promise<{ sent: boolean; outcome: string }> => {
    const request = parseEvent(SendEmailRequest, event, "send e-mail request");
    const result = await sendEmailStep(request, { email: await deps.email(), enrolments: deps.enrolments, templates: deps.templates }, deps.clock());
    // "already-sent" is a retry of a send counted before.
    if (result.outcome === "sent") putMetrics({ EmailsSent: 1 }, { properties: { workflowId: request.workflowId, step: request.step } });
    return result;
  });

export const handler = lambdaHandler(logger, () => sendEmailTask(workflowStepDependencies()));
