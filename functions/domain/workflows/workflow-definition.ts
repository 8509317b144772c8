import { z } from "zod";
import { workflowTemplates } from "../email/templates/workflow-templates.js";

const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "must be 1–40 lower-case letters, digits and '-', starting with a letter or digit");
const templateIds = Object.keys(workflowTemplates) as [string, ...string[]];

/**
 * A reactivation workflow as data (the seed: Connectif's Low CLV workflow). CDK compiles each into a
 * Standard state machine: is in segment → assign coupon → send the coupon e-mail → wait → still in
 * segment → purchased in the window → if not, send the reminder.
 */
export const WorkflowDefinition = z.strictObject({
  id: Id,
  name: z.string().trim().min(1).max(100),
  /** The audience: members of this segment. */
  segmentId: z.string().min(1),
  /**
   * Who enrols: every member when the workflow starts and after each night, plus new entrants between
   * nights ("all-members"), or only contacts who enter the segment after the workflow exists.
   */
  dataSource: z.enum(["all-members", "new-entrants"]).default("all-members"),
  couponSetId: z.string().min(1),
  couponEmail: z.enum(templateIds, { error: `must be one of ${templateIds.join(", ")}` }),
  reminderEmail: z.enum(templateIds, { error: `must be one of ${templateIds.join(", ")}` }),
  /** The native Wait between the coupon e-mail and the checks: 7 days in the seed. */
  waitDays: z.number().int().min(1).max(365).default(7),
  /** A contact enrols once; with a cool-down, again once that many days have passed since it last enrolled. */
  reenrolAfterDays: z.number().int().min(1).max(3650).nullable().default(null),
});
export type WorkflowDefinition = z.output<typeof WorkflowDefinition>;

export function parseWorkflowDefinition(input: unknown): WorkflowDefinition {
  const parsed = WorkflowDefinition.safeParse(input);
  if (!parsed.success) throw new Error(`bad workflow definition: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(definition)"}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/** The workflow a store starts with: Low CLV members get a unique coupon, and a reminder after 7 days if they have not bought. */
export const lowClvReactivation = parseWorkflowDefinition({
  id: "low-clv-reactivation",
  name: "Low CLV reactivation",
  segmentId: "low-clv",
  couponSetId: "low-clv-comeback",
  couponEmail: "reactivation-coupon",
  reminderEmail: "reactivation-reminder",
  waitDays: 7,
  reenrolAfterDays: 90,
});
