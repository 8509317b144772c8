import { isExpired, stockOf, type CouponSetState } from "./coupon-stock.js";

/**
 * What asking for a contact's coupon gives. The workflow sends the code when `assigned`; on any other
 * outcome it records the outcome and sends nothing.
 */
export type CouponOutcome =
  | { status: "assigned"; code: string; expiresAt: string; alreadyAssigned: boolean }
  | { status: "out-of-stock" }
  | { status: "expired" }
  | { status: "no-such-set" };

export type CouponStatus = CouponOutcome["status"];

/**
 * What to do for a contact given what the store holds: answer at once, or claim a code. Expiry comes
 * before a code the contact already has: an expired code is worth nothing in an e-mail, and a workflow
 * retried after the expiry should send nothing rather than a dead code.
 */
export function assignmentStep(set: CouponSetState | undefined, assignedCode: string | undefined, now: number): CouponOutcome | { status: "claim" } {
  if (!set) return { status: "no-such-set" };
  if (isExpired(set.expiresAt, now)) return { status: "expired" };
  if (assignedCode !== undefined) return { status: "assigned", code: assignedCode, expiresAt: set.expiresAt, alreadyAssigned: true };
  if (stockOf(set) === 0) return { status: "out-of-stock" };
  return { status: "claim" };
}

/** One line for a person (the CLI, a workflow's record). */
export function describeOutcome(setId: string, contactId: string, outcome: CouponOutcome): string {
  switch (outcome.status) {
    case "assigned":
      return `${contactId}: ${outcome.code} from ${setId}${outcome.alreadyAssigned ? " (assigned before)" : ""}, valid until ${outcome.expiresAt}`;
    case "out-of-stock":
      return `${contactId}: coupon set ${setId} is out of stock: import more codes (clv coupons import ${setId} FILE)`;
    case "expired":
      return `${contactId}: coupon set ${setId} has expired: nothing to send`;
    case "no-such-set":
      return `${contactId}: there is no coupon set ${setId}`;
  }
}
