import { workflowTemplates } from "../../domain/email/templates/workflow-templates.js";

/** The names of the e-mail templates a workflow may send. */
export function emailTemplateNames(): string[] {
  return Object.keys(workflowTemplates);
}
