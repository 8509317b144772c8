import type { ContactScores } from "../clv/contact-scores.js";
import type { ContactHistory } from "../clv/order-history.js";
import type { SubscriptionStatus } from "../store/contact.js";
import type { EmailEventType } from "../store/email-event.js";
import { numericFields, type Condition, type ConditionGroup, type NumericField, type SegmentDefinition, type TextField, type Threshold } from "./segment-definition.js";

const MS_PER_DAY = 86_400_000;

/** What segments look at: a contact's profile, its figures (none without orders) and its recent activity. */
export interface SegmentContact {
  contactId: string;
  profile?: { subscription: SubscriptionStatus; email?: string; firstName?: string; country?: string };
  scores?: ContactScores;
  /** Epoch ms of the contact's counted orders. */
  orderTimes: readonly number[];
  emailEvents: readonly { type: EmailEventType; at: number; emailId?: string }[];
}

export interface SegmentContext {
  now: number;
  /** The store's average of each figure, for relative thresholds (`storeAverages`). */
  storeAverages: Partial<Record<NumericField, number>>;
}

export function isMember(definition: SegmentDefinition, contact: SegmentContact, context: SegmentContext): boolean {
  return matches(definition.match, contact, context);
}

function matches(condition: Condition, contact: SegmentContact, context: SegmentContext): boolean {
  if ("all" in condition) return condition.all.every((c) => matches(c, contact, context));
  if ("any" in condition) return condition.any.some((c) => matches(c, contact, context));
  if ("activity" in condition) return activityMatches(condition, contact, context.now);
  if (condition.field === "hasEmail") return Boolean(contact.profile?.email) === condition.value;
  if ((numericFields as readonly string[]).includes(condition.field)) return numericMatches(condition as NumericConditionOf, numericValue(condition.field as NumericField, contact, context.now), context);
  return textMatches(condition as TextConditionOf, textValue(condition.field as TextField, contact));
}

type Leaf = Exclude<Condition, ConditionGroup>;
type NumericConditionOf = Extract<Leaf, { field: NumericField }>;
type TextConditionOf = Extract<Leaf, { field: TextField }>;
type ActivityConditionOf = Extract<Leaf, { activity: string }>;

/** The figure, or undefined when the contact has none (no orders, no prediction, fewer than two orders). */
function numericValue(field: NumericField, contact: SegmentContact, now: number): number | undefined {
  const scores = contact.scores;
  if (!scores) return field === "orderCount" || field === "historicClv" ? 0 : undefined;
  if (field === "daysSinceLastOrder") return Math.floor((now - Date.parse(scores.lastOrderAt)) / MS_PER_DAY);
  const value = scores[field];
  return value === null ? undefined : value;
}

function textValue(field: TextField, contact: SegmentContact): string | undefined {
  if (field === "churnBand" || field === "rfmGroup") return contact.scores?.[field] ?? undefined;
  if (field === "subscription") return contact.profile?.subscription ?? "never_subscribed";
  return contact.profile?.[field] || undefined;
}

function threshold(t: Threshold, context: SegmentContext): number {
  if (typeof t === "number") return t;
  const average = context.storeAverages[t.storeAverageOf];
  // No average (an empty store) matches nothing rather than comparing against 0.
  return average === undefined ? Number.NaN : average * t.times;
}

/** A missing value matches only "is empty" and "is not": a contact without a prediction is not "below 100". */
function numericMatches(c: NumericConditionOf, value: number | undefined, context: SegmentContext): boolean {
  if (c.op === "isEmpty") return value === undefined;
  if (value === undefined) return c.op === "isNot";
  switch (c.op) {
    case "is":
      return value === threshold(c.value, context);
    case "isNot":
      return value !== threshold(c.value, context);
    case "lt":
      return value < threshold(c.value, context);
    case "lte":
      return value <= threshold(c.value, context);
    case "gt":
      return value > threshold(c.value, context);
    case "gte":
      return value >= threshold(c.value, context);
    case "isOneOf":
      return c.values.includes(value);
    case "between":
      return value >= threshold(c.min, context) && value <= threshold(c.max, context);
  }
}

function textMatches(c: TextConditionOf, value: string | undefined): boolean {
  if (c.op === "isEmpty") return value === undefined;
  if (c.op === "isOneOf") return value !== undefined && c.values.includes(value);
  return c.op === "is" ? value === c.value : value !== c.value;
}

function activityMatches(c: ActivityConditionOf, contact: SegmentContact, now: number): boolean {
  if (c.activity === "placedOrders") {
    const since = now - c.days * MS_PER_DAY;
    const count = contact.orderTimes.filter((t) => t > since && t <= now).length;
    return c.op === "is" ? count === c.value : c.op === "lt" ? count < c.value : c.op === "lte" ? count <= c.value : c.op === "gt" ? count > c.value : count >= c.value;
  }
  const found =
    c.activity === "receivedEmail"
      ? contact.emailEvents.some((e) => e.type === "sent" && e.emailId === c.emailId)
      : contact.emailEvents.some((e) => e.type === (c.activity === "openedEmail" ? "opened" : "clicked") && e.at > now - c.days * MS_PER_DAY && e.at <= now);
  return c.negate ? !found : found;
}

/** The store's average of every figure over the contacts that have it, for relative thresholds. */
export function storeAverages(scores: readonly ContactScores[], now: number): Partial<Record<NumericField, number>> {
  const averages: Partial<Record<NumericField, number>> = {};
  for (const field of numericFields) {
    let sum = 0;
    let n = 0;
    for (const s of scores) {
      const v = numericValue(field, { contactId: s.contactId, scores: s, orderTimes: [], emailEvents: [] }, now);
      if (v !== undefined) {
        sum += v;
        n++;
      }
    }
    if (n > 0) averages[field] = sum / n;
  }
  return averages;
}

/** The members of a segment among the contacts. */
export function segmentMembers(definition: SegmentDefinition, contacts: readonly SegmentContact[], context: SegmentContext): SegmentContact[] {
  return contacts.filter((c) => isMember(definition, c, context));
}

/**
 * A contact as segments see it, from what the store keeps: the profile, the scores and the order
 * history (purchase days stand for order times: "orders in the last D days" counts purchase days).
 */
export function segmentContact(
  contactId: string,
  parts: { profile?: SegmentContact["profile"]; scores?: ContactScores; history?: ContactHistory; emailEvents?: SegmentContact["emailEvents"] },
): SegmentContact {
  return {
    contactId,
    ...(parts.profile && { profile: parts.profile }),
    ...(parts.scores && { scores: parts.scores }),
    orderTimes: parts.history ? parts.history.purchaseDays.map((day) => day * MS_PER_DAY) : [],
    emailEvents: parts.emailEvents ?? [],
  };
}

/** A stored membership: when the contact entered, and left if it has. */
export interface Membership {
  contactId: string;
  enteredAt: string;
  leftAt?: string;
}

export interface MembershipChanges {
  /** New members: each is an "entered segment" event a workflow can start from. */
  entered: Membership[];
  /** Members that no longer match: kept with their leftAt, so the history stays. */
  left: Membership[];
  stayed: number;
}

/** What to write after recomputing a segment: only the contacts whose membership changed. */
export function membershipChanges(active: ReadonlyMap<string, Membership>, members: Iterable<string>, at: string): MembershipChanges {
  const current = new Set(members);
  const entered: Membership[] = [];
  const left: Membership[] = [];
  let stayed = 0;
  for (const contactId of current) {
    if (active.has(contactId)) stayed++;
    else entered.push({ contactId, enteredAt: at });
  }
  for (const [contactId, membership] of active) if (!current.has(contactId)) left.push({ ...membership, leftAt: at });
  return { entered, left, stayed };
}
