import type { WorkflowLift } from "../workflows/workflow-lift.js";

/**
 * One reactivation workflow's counts, as the workflow side reports them (docs/design.md, flow 5: enrol →
 * assign coupon → send e-mail → wait 7 days → purchased? → reminder).
 */
export interface WorkflowFunnel {
  workflowId: string;
  name: string;
  /** The wait, which is also the window purchases count in ("7 days"). */
  window: string;
  enrolled: number;
  /** Enrolled contacts held out as the control group: no coupon, no mail. */
  heldOut: number;
  couponsAssigned: number;
  /** Enrolments that got no coupon because the coupon set had run out. */
  outOfStock: number;
  emailsSent: number;
  /** Mailed contacts who ordered within the wait after the e-mail (held-out buyers are in `lift`). */
  purchasedInWindow: number;
  /** What those orders came to. */
  revenueInWindow: number;
  reminded: number;
  /** Mailed against held out: conversion and revenue per contact in the window, and what the mail added. */
  lift: WorkflowLift;
}

export interface FunnelStep {
  step: "enrolled" | "heldOut" | "couponsAssigned" | "emailsSent" | "purchasedInWindow" | "reminded";
  label: string;
  contacts: number;
  /** contacts / enrolled; null when nobody is enrolled. */
  shareOfEnrolled: number | null;
}

/** The funnel's steps in the workflow's order, each with its share of the enrolled contacts. */
export function funnelSteps(funnel: WorkflowFunnel): FunnelStep[] {
  const steps: readonly [FunnelStep["step"], string][] = [
    ["enrolled", "Enrolled"],
    ["heldOut", "Held out (control)"],
    ["couponsAssigned", "Coupon assigned"],
    ["emailsSent", "E-mail sent"],
    ["purchasedInWindow", `Purchased within ${funnel.window}`],
    ["reminded", "Reminded"],
  ];
  return steps.map(([step, label]) => ({
    step,
    label,
    contacts: funnel[step],
    shareOfEnrolled: funnel.enrolled > 0 ? funnel[step] / funnel.enrolled : null,
  }));
}
