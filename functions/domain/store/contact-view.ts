import type { ContactScores } from "../clv/contact-scores.js";
import type { ContactHistory } from "../clv/order-history.js";
import type { Enrolment } from "../workflows/enrolment.js";
import type { ContactProfile } from "./contact.js";
import { mailPermission } from "./subscription.js";

/**
 * GET /contacts/{id} and `clv contact show ID`: everything the store holds about one contact, as a
 * marketer (or the person, on request: GDPR art. 15) would read it. Flat where the issue of the day
 * asks for a figure (`subscription`, `orderCount`, `revenue`), lists for what there are many of.
 */
export interface ContactView extends Omit<ContactProfile, "bouncedAddress"> {
  /** mailPermission's answer now, and why not in words. */
  mayMail: boolean;
  mayMailReason?: string;
  /** The running order summary: counted orders (not cancelled or refunded) and their total. */
  orderCount: number;
  revenue: number;
  firstOrderAt?: string;
  lastOrderAt?: string;
  /** The figures of the latest scoring; null before the contact's first. */
  scores: (ContactScores & { scoredAt: string }) | null;
  /** The segments the contact is in now, with when it entered each. */
  segments: { segmentId: string; enteredAt: string }[];
  /** Its workflow enrolments, in the workflows the deployment runs. */
  enrolments: Enrolment[];
}

/** The view as GET /contacts/{id} and `clv contact show` answer it: with the currency its amounts (revenue, CLVs, AOV) are in. */
export type ContactAnswer = ContactView & { currency: string };

/** The view with the store's currency, which every amount in it is kept in. */
export function contactAnswer(view: ContactView, storeCurrency: string): ContactAnswer {
  return { ...view, currency: storeCurrency };
}

/** What the store read for the view. */
export interface ContactViewParts {
  contactId: string;
  profile?: ContactProfile;
  history?: ContactHistory;
  orderCount: number;
  revenue: number;
  scores?: ContactScores & { scoredAt: string };
  memberships: Readonly<Record<string, string>>;
  enrolments: readonly Enrolment[];
}

/** The view of a contact: its profile (or none yet, for a contact known from orders only) and what hangs off it. */
export function contactView(parts: ContactViewParts): ContactView {
  const { bouncedAddress: _hash, ...profile } = parts.profile ?? { contactId: parts.contactId, subscription: "never_subscribed" as const, updatedAt: "" };
  const permission = mailPermission(parts.profile);
  return {
    ...profile,
    contactId: parts.contactId,
    mayMail: permission.mayMail,
    ...(!permission.mayMail && { mayMailReason: permission.reason }),
    orderCount: parts.orderCount,
    revenue: parts.revenue,
    ...(parts.history && { firstOrderAt: new Date(parts.history.firstOrderAt).toISOString(), lastOrderAt: new Date(parts.history.lastOrderAt).toISOString() }),
    scores: parts.scores ?? null,
    segments: Object.entries(parts.memberships)
      .map(([segmentId, enteredAt]) => ({ segmentId, enteredAt }))
      .sort((a, b) => a.segmentId.localeCompare(b.segmentId)),
    enrolments: [...parts.enrolments].sort((a, b) => a.enrolledAt.localeCompare(b.enrolledAt)),
  };
}
