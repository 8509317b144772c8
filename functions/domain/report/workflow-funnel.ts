/**
 * One reactivation workflow's counts, as the workflow side reports them (DESIGN.md, flow 4: enrol →
 * assign coupon → send e-mail → wait 7 days → purchased? → reminder).
 */
export interface WorkflowFunnel {
  workflowId: string;
  name: string;
  enrolled: number;
  couponsAssigned: number;
  /** Enrolments that got no coupon because the coupon set had run out. */
  outOfStock: number;
  emailsSent: number;
  /** Contacts who ordered within the 7-day wait after the e-mail. */
  purchasedInWindow: number;
  /** What those orders came to. */
  revenueInWindow: number;
  reminded: number;
}

export interface FunnelStep {
  step: "enrolled" | "couponsAssigned" | "emailsSent" | "purchasedInWindow" | "reminded";
  label: string;
  contacts: number;
  /** contacts / enrolled; null when nobody is enrolled. */
  shareOfEnrolled: number | null;
}

const STEPS: readonly [FunnelStep["step"], string][] = [
  ["enrolled", "Enrolled"],
  ["couponsAssigned", "Coupon assigned"],
  ["emailsSent", "E-mail sent"],
  ["purchasedInWindow", "Purchased within 7 days"],
  ["reminded", "Reminded"],
];

/** The funnel's steps in the workflow's order, each with its share of the enrolled contacts. */
export function funnelSteps(funnel: WorkflowFunnel): FunnelStep[] {
  return STEPS.map(([step, label]) => ({
    step,
    label,
    contacts: funnel[step],
    shareOfEnrolled: funnel.enrolled > 0 ? funnel[step] / funnel.enrolled : null,
  }));
}
