/*
 * The state machines' state names, shared by their constructs (lib/nightly-scoring.ts,
 * lib/reactivation-workflow.ts) and the local runner, which gives each Task state its local handler.
 * This module imports nothing, so the runner reads the names without loading aws-cdk-lib.
 */

/** The nightly state machine's states. */
export const NIGHTLY_STATES = {
  plan: "Plan the night",
  scoreSegments: "Score every scan segment",
  scoreSegment: "Score a scan segment",
  finish: "Finish the night",
  enrol: "Enrol segment members",
  startEnrolling: "Start enrolling",
  allEnrolled: "Every member enrolled?",
  done: "Night done",
  failed: "Nightly run failed",
} as const;

/** A reactivation workflow's states. */
export const WORKFLOW_STATES = {
  checkMembership: "Check segment membership",
  isInSegment: "Is in segment?",
  notInSegment: "Record not in segment",
  isHeldOut: "Held out?",
  checkHeldOut: "Check the held-out contact",
  heldOutMailable: "Held-out contact mailable?",
  waitHeldOut: "Wait (held out)",
  checkPurchasesHeldOut: "Check purchases in the window (held out)",
  recordHeldOut: "Record held out",
  assignCoupon: "Assign coupon",
  hasCoupon: "Has a coupon?",
  sendCoupon: "Send the coupon e-mail",
  couponSent: "Coupon e-mail sent?",
  wait: "Wait",
  checkPurchases: "Check purchases in the window",
  recheckMembership: "Check segment membership again",
  stillInSegment: "Still in segment?",
  leftSegment: "Record left segment",
  purchased: "Purchased in the window?",
  recordPurchased: "Record purchased",
  sendReminder: "Send the reminder",
  recordFailure: "Record failure",
  failed: "Workflow failed",
  done: "Done",
} as const;
