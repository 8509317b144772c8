import { z } from "zod";
import { statedSubscriptions, type SubscriptionState } from "./subscription.js";
import { expected } from "../input/field-messages.js";

export { subscriptionStatuses, type SubscriptionStatus } from "./subscription.js";

const noControlCharacters = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);

/** A store's contact id: what its platform calls the customer. Safe inside a DynamoDB key. */
export const ContactId = z
  .string({ error: expected("a string") })
  .trim()
  .min(1, "is empty")
  .max(128, "at most 128 characters")
  .refine(noControlCharacters, "contains control characters")
  .refine((s) => !s.includes("#"), 'must not contain "#"');

/** Consents and opt-outs may be a few minutes ahead of our clock; beyond that a time is a mistake (or an attempt to outrank an opt-out). */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
const isoTime = z.iso.datetime({ offset: true, error: "must be an ISO 8601 time like 2024-05-31T14:03:00Z" });

/**
 * PUT /contacts/{id} body, and a contacts CSV row (with `id`). `now` judges "in the future".
 * What it says of the subscription is a statement the rules weigh (subscription.ts), not the status
 * itself: a consent older than the contact's latest opt-out does not subscribe it.
 */
export function contactInput(now: () => number = Date.now) {
  const notFuture = (field: "consentAt" | "optedOutAt") => (c: { consentAt?: string; optedOutAt?: string }, ctx: z.core.$RefinementCtx) => {
    const at = c[field];
    if (at !== undefined && Date.parse(at) > now() + FUTURE_TOLERANCE_MS) ctx.addIssue({ code: "custom", message: "is in the future", path: [field] });
  };
  return z
    .strictObject({
      email: z.email({ error: "is not an e-mail address" }).max(254).optional(),
      firstName: z.string().trim().max(100, "is longer than 100 characters").refine(noControlCharacters, "contains control characters").optional(),
      subscription: z.enum(statedSubscriptions, { error: `must be one of ${statedSubscriptions.join(", ")}` }).default("never_subscribed"),
      /** When the contact gave consent; required with "subscribed", for the record GDPR asks for. (With "unsubscribed" and no optedOutAt: when it was withdrawn.) */
      consentAt: isoTime.optional(),
      /** When the contact opted out at the store's platform. */
      optedOutAt: isoTime.optional(),
      country: z.string().trim().length(2, "must be a two-letter country code").toUpperCase().optional(),
    })
    .refine((c) => c.subscription !== "subscribed" || c.consentAt !== undefined, { message: "is required when subscription is subscribed", path: ["consentAt"] })
    .refine((c) => c.subscription !== "unsubscribed" || c.optedOutAt === undefined || c.consentAt === undefined || Date.parse(c.consentAt) <= Date.parse(c.optedOutAt), {
      message: 'is after optedOutAt, but subscription is "unsubscribed"',
      path: ["consentAt"],
    })
    .superRefine(notFuture("consentAt"))
    .superRefine(notFuture("optedOutAt"));
}

export const ContactInput = contactInput();
export type ContactInput = z.output<typeof ContactInput>;

/** A contact's profile as stored: what the platform sent, and the subscription as the rules made it. */
export interface ContactProfile extends SubscriptionState {
  contactId: string;
  email?: string;
  firstName?: string;
  country?: string;
  updatedAt: string;
}
