import { randomUUID } from "node:crypto";

/**
 * Erasure (GDPR art. 17, "right to be forgotten"): what `DELETE /contacts/{id}` and `clv contact erase ID`
 * remove, what they keep and why.
 *
 * Removed: the profile (address, name, country, subscription and its history), e-mail events, scores,
 * segment memberships, send records. Kept without the person: orders with their totals, moved to a
 * random anonymous id, so the store's revenue, order counts and the models fitted on them do not
 * change; workflow enrolments and coupon assignments, moved to that id too, so a workflow's funnel and
 * a coupon set's stock stay right. Kept of the address: its SHA-256 only, as a suppression, so that a
 * later import of the same address is not mailed without a consent newer than the erasure.
 */
export interface ErasureReport {
  contactId: string;
  erasedAt: string;
  /** Orders kept under the anonymous id, with their totals. */
  ordersKept: number;
  /** Items removed from the contact's partition and the segments. */
  itemsDeleted: number;
  enrolmentsKept: number;
  couponAssignmentsKept: number;
  /** Whether an address was kept as a suppression (as its hash). */
  addressSuppressed: boolean;
}

/** The id an erased contact's orders live on under: random, so nothing leads back to the person or the platform's id. */
export const anonymousContactId = (): string => `erased-${randomUUID()}`;

/** Whether an id is one erasure made: such a contact has no profile and is never mailed. */
export const isAnonymousContactId = (contactId: string): boolean => contactId.startsWith("erased-");
