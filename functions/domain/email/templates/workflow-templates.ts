import { z } from "zod";
import { ContactId } from "../../store/contact.js";
import { EmailVariables, IdempotencyKey, WorkflowId } from "../send-workflow-email.js";
import type { EmailTemplate } from "../template.js";
import { reactivationCoupon } from "./reactivation-coupon.js";
import { reactivationReminder } from "./reactivation-reminder.js";

/** The templates a workflow step can name, by id. */
export const workflowTemplates = {
  "reactivation-coupon": reactivationCoupon,
  "reactivation-reminder": reactivationReminder,
} as const satisfies Record<string, EmailTemplate>;

const templateIds = Object.keys(workflowTemplates) as [keyof typeof workflowTemplates, ...(keyof typeof workflowTemplates)[]];

/** A send step's input from the state machine: the e-mail by template id. */
export const SendWorkflowEmailRequest = z.strictObject({
  contactId: ContactId,
  templateId: z.enum(templateIds, { error: `must be one of ${templateIds.join(", ")}` }),
  workflowId: WorkflowId,
  idempotencyKey: IdempotencyKey,
  variables: EmailVariables.default({}),
});
export type SendWorkflowEmailRequest = z.output<typeof SendWorkflowEmailRequest>;

export function workflowTemplate(id: string): EmailTemplate {
  const template = (workflowTemplates as Record<string, EmailTemplate>)[id];
  if (!template) throw new Error(`no e-mail template "${id}"; known: ${templateIds.join(", ")}`);
  return template;
}
