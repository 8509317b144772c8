import { createHash } from "node:crypto";
import type { WorkflowFunnel } from "../report/workflow-funnel.js";
import { waitText, type WorkflowDefinition } from "./workflow-definition.js";
import { LiftTally } from "./workflow-lift.js";

/** How an enrolment ended. */
export const workflowOutcomes = ["not-in-segment", "held-out", "out-of-coupons", "no-email", "unsubscribed", "left-segment", "purchased", "reminded", "failed"] as const;
export type WorkflowOutcome = (typeof workflowOutcomes)[number];

/** One contact's passage through one workflow (item WORKFLOW#<id> / CONTACT#<id>). */
export interface Enrolment {
  workflowId: string;
  contactId: string;
  executionName: string;
  enrolledAt: string;
  /** Set once the execution was started: an enrolment without it is started again under the same name. */
  started?: boolean;
  /** In the workflow's control group: no coupon, no mail, purchases measured the same (isHeldOut). */
  heldOut?: boolean;
  couponCode?: string;
  couponExpiresAt?: string;
  couponEmailSentAt?: string;
  reminderSentAt?: string;
  purchasedInWindow?: boolean;
  ordersInWindow?: number;
  revenueInWindow?: number;
  outcome?: WorkflowOutcome;
  error?: string;
  finishedAt?: string;
}

/**
 * The execution's name: `<workflow>-<contact>-<date>` (docs/design.md), so that starting the same enrolment
 * twice is a no-op in Step Functions. Names allow 80 characters of [A-Za-z0-9-_]; a contact id with
 * other characters, or too long, is replaced by a hash of it.
 */
export function executionName(workflowId: string, contactId: string, enrolledAt: string): string {
  const date = enrolledAt.slice(0, 10);
  const room = 80 - workflowId.length - date.length - 2;
  const contact = /^[A-Za-z0-9_-]+$/.test(contactId) && contactId.length <= room ? contactId : createHash("sha256").update(contactId).digest("hex").slice(0, Math.min(32, room));
  return `${workflowId}-${contact}-${date}`;
}

/** A contact may enrol if it never has, or, with a cool-down, if its last enrolment is old enough. */
export function mayEnrol(previous: Pick<Enrolment, "enrolledAt"> | undefined, workflow: Pick<WorkflowDefinition, "reenrolAfterDays">, now: number): boolean {
  if (!previous) return true;
  if (workflow.reenrolAfterDays === null) return false;
  return Date.parse(previous.enrolledAt) <= now - workflow.reenrolAfterDays * 86_400_000;
}

/**
 * Whether the contact is in the workflow's control group: a stable hash of workflow and contact, so a
 * contact held out of a workflow stays held out of it on every enrolment, and the split is
 * independent of anything the store knows about the contact.
 */
export function isHeldOut(workflow: Pick<WorkflowDefinition, "id" | "holdOutShare">, contactId: string): boolean {
  if (workflow.holdOutShare <= 0) return false;
  const hash = createHash("sha256").update(`${workflow.id}\u0000${contactId}`).digest();
  // 48 bits of the hash as a uniform number in [0, 1).
  return hash.readUIntBE(0, 6) / 2 ** 48 < workflow.holdOutShare;
}

/**
 * The funnel a marketer reads: enrolled → held out | coupon → e-mail → purchased in the window → reminded,
 * and the lift, tallied one enrolment at a time (a workflow's enrolments are read page by page and not kept).
 */
export class FunnelTally {
  private readonly funnel: Omit<WorkflowFunnel, "lift">;
  private readonly lift = new LiftTally();

  constructor(workflow: Pick<WorkflowDefinition, "id" | "name" | "waitSeconds">) {
    this.funnel = {
      workflowId: workflow.id,
      name: workflow.name,
      window: waitText(workflow),
      enrolled: 0,
      heldOut: 0,
      couponsAssigned: 0,
      outOfStock: 0,
      emailsSent: 0,
      purchasedInWindow: 0,
      revenueInWindow: 0,
      reminded: 0,
    };
  }

  add(e: Enrolment): void {
    const funnel = this.funnel;
    this.lift.add(e);
    funnel.enrolled++;
    if (e.heldOut) {
      funnel.heldOut++;
      return;
    }
    if (e.couponCode) funnel.couponsAssigned++;
    if (e.outcome === "out-of-coupons") funnel.outOfStock++;
    if (e.couponEmailSentAt) funnel.emailsSent++;
    if (e.purchasedInWindow) {
      funnel.purchasedInWindow++;
      funnel.revenueInWindow += e.revenueInWindow ?? 0;
    }
    if (e.reminderSentAt) funnel.reminded++;
  }

  result(): WorkflowFunnel {
    return { ...this.funnel, lift: this.lift.result() };
  }
}

/** The funnel of a workflow's enrolments (FunnelTally over all of them). */
export function workflowFunnel(workflow: Pick<WorkflowDefinition, "id" | "name" | "waitSeconds">, enrolments: Iterable<Enrolment>): WorkflowFunnel {
  const tally = new FunnelTally(workflow);
  for (const e of enrolments) tally.add(e);
  return tally.result();
}
