import { z } from "zod";

const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "must be 1–40 lower-case letters, digits and '-', starting with a letter or digit");

/** The default share of a workflow's enrolled contacts held out as its control group. */
export const DEFAULT_HOLD_OUT_SHARE = 0.1;
const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * A reactivation workflow as data (the seed: Connectif's Low CLV workflow). CDK compiles each into a
 * Standard state machine: is in segment → held out? → assign coupon → send the coupon e-mail → wait →
 * check purchases → still in segment → purchased in the window → if not, send the reminder. This is
 * the compiled shape the Lambdas receive (and parse again); a workflow file (workflow-file.ts) is the
 * marketer's shape of it.
 */
export const WorkflowDefinition = z.strictObject({
  id: Id,
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(500).optional(),
  /** The audience: members of this segment. */
  segmentId: z.string().min(1).max(100),
  /**
   * Who enrols: every member when the workflow starts and after each night, plus new entrants between
   * nights ("all-members"), or only contacts who enter the segment after the workflow exists.
   */
  dataSource: z.enum(["all-members", "new-entrants"]).default("all-members"),
  couponSetId: z.string().min(1).max(100),
  couponEmail: z.string().min(1).max(100),
  reminderEmail: z.string().min(1).max(100),
  /** The native Wait between the coupon e-mail and the checks, and the window purchases are counted in: 7 days in the seed. */
  waitSeconds: z
    .number()
    .int()
    .min(HOUR, "must be at least 1 hour")
    .max(365 * DAY, "must be at most 365 days"),
  /** A contact enrols once; with a cool-down, again once that many days have passed since it last enrolled. */
  reenrolAfterDays: z.number().int().min(1).max(3650).nullable().default(null),
  /** The control group: this share of enrolled contacts gets no coupon and no mail, and is measured the same. */
  holdOutShare: z.number().min(0).max(0.5).default(DEFAULT_HOLD_OUT_SHARE),
});
export type WorkflowDefinition = z.output<typeof WorkflowDefinition>;

export function parseWorkflowDefinition(input: unknown): WorkflowDefinition {
  const parsed = WorkflowDefinition.safeParse(input);
  if (!parsed.success) throw new Error(`bad workflow definition: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(definition)"}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/** Purchases are kept per day (order-history.ts): the window in whole days that covers the wait. */
export const windowDays = (workflow: Pick<WorkflowDefinition, "waitSeconds">): number => Math.ceil(workflow.waitSeconds / DAY);

/** "7 days", "36 hours": the wait as a marketer reads it. */
export function waitText(workflow: Pick<WorkflowDefinition, "waitSeconds">): string {
  const { waitSeconds: s } = workflow;
  if (s % DAY === 0) return `${s / DAY} ${s === DAY ? "day" : "days"}`;
  if (s % HOUR === 0) return `${s / HOUR} hours`;
  return `${Math.round(s / 60)} minutes`;
}
