import { newcombeDifference, welchDifference, type Interval, type SampleMoments } from "../numeric/intervals.js";
import type { Enrolment } from "./enrolment.js";

/** One arm of the comparison: contacts whose window has ended, how many bought in it, what they spent. */
export interface GroupOutcome {
  contacts: number;
  converted: number;
  revenue: number;
  /** converted / contacts; null without contacts. */
  conversionRate: number | null;
  /** revenue / contacts, buyers and non-buyers alike; null without contacts. */
  revenuePerContact: number | null;
}

/**
 * What the workflow brought beyond what would have come anyway: the mailed contacts against the
 * held-out ones, each counted once its window ended. Intervals are 95 %; null where a group is too
 * small for one (no contacts; fewer than two for revenue).
 */
export interface WorkflowLift {
  mailed: GroupOutcome;
  heldOut: GroupOutcome;
  /** Conversion rate mailed − held out (Newcombe's hybrid score interval). */
  conversionDifference: Interval | null;
  /** The difference × mailed contacts: orders' buyers that the mail brought. */
  incrementalConversions: Interval | null;
  /** Revenue per contact mailed − held out (Welch's t interval). */
  revenuePerContactDifference: Interval | null;
  /** The difference × mailed contacts. */
  incrementalRevenue: Interval | null;
  methods: { conversion: string; revenue: string };
}

export const LIFT_METHODS = {
  conversion: "Newcombe hybrid score interval for a difference of proportions (Newcombe 1998, method 10)",
  revenue: "Welch t interval for a difference of means (Welch 1947)",
} as const;

interface Tally extends SampleMoments {
  converted: number;
}

const empty = (): Tally => ({ n: 0, sum: 0, sumOfSquares: 0, converted: 0 });
const scale = (i: Interval, by: number): Interval => ({ estimate: i.estimate * by, low: i.low * by, high: i.high * by });

function outcome(t: Tally): GroupOutcome {
  return {
    contacts: t.n,
    converted: t.converted,
    revenue: t.sum,
    conversionRate: t.n > 0 ? t.converted / t.n : null,
    revenuePerContact: t.n > 0 ? t.sum / t.n : null,
  };
}

/**
 * Which enrolments are compared. Both arms passed the same checks before the split could matter: in
 * the segment when the execution started, an address and a subscription (the held-out path checks
 * those as the send step does). A mailed contact counts once its coupon e-mail went; a held-out one
 * once it was found mailable. Each counts once its purchases in the window were checked.
 */
export function liftGroup(e: Enrolment): "mailed" | "held-out" | undefined {
  if (e.purchasedInWindow === undefined) return undefined;
  if (e.heldOut) return "held-out";
  return e.couponEmailSentAt !== undefined ? "mailed" : undefined;
}

/**
 * The lift tallied one enrolment at a time, so that a workflow with a million enrolments is read
 * page by page without keeping them (GET /workflows, the report).
 */
export class LiftTally {
  private readonly mailed = empty();
  private readonly heldOut = empty();

  add(e: Enrolment): void {
    const group = liftGroup(e);
    if (!group) return;
    const t = group === "mailed" ? this.mailed : this.heldOut;
    const revenue = e.purchasedInWindow ? (e.revenueInWindow ?? 0) : 0;
    t.n++;
    t.sum += revenue;
    t.sumOfSquares += revenue * revenue;
    if (e.purchasedInWindow) t.converted++;
  }

  result(): WorkflowLift {
    return liftFromTallies(this.mailed, this.heldOut);
  }
}

/** The lift from a workflow's enrolment records. */
export function workflowLift(enrolments: Iterable<Enrolment>): WorkflowLift {
  const tally = new LiftTally();
  for (const e of enrolments) tally.add(e);
  return tally.result();
}

function liftFromTallies(mailed: Tally, heldOut: Tally): WorkflowLift {
  const conversionDifference = mailed.n > 0 && heldOut.n > 0 ? newcombeDifference(mailed.converted, mailed.n, heldOut.converted, heldOut.n) : null;
  const revenuePerContactDifference = mailed.n > 1 && heldOut.n > 1 ? welchDifference(mailed, heldOut) : null;
  return {
    mailed: outcome(mailed),
    heldOut: outcome(heldOut),
    conversionDifference,
    incrementalConversions: conversionDifference && scale(conversionDifference, mailed.n),
    revenuePerContactDifference,
    incrementalRevenue: revenuePerContactDifference && scale(revenuePerContactDifference, mailed.n),
    methods: LIFT_METHODS,
  };
}
