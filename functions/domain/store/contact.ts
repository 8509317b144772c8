import { z } from "zod";

/** Newsletter subscription status, as Connectif's contact profile has it. */
export const subscriptionStatuses = ["subscribed", "unsubscribed", "never_subscribed"] as const;
export type SubscriptionStatus = (typeof subscriptionStatuses)[number];

const noControlCharacters = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);

/** A store's contact id: what its platform calls the customer. Safe inside a DynamoDB key. */
export const ContactId = z
  .string({ error: "is missing" })
  .trim()
  .min(1, "is empty")
  .max(128, "is longer than 128 characters")
  .refine(noControlCharacters, "contains control characters")
  .refine((s) => !s.includes("#"), 'must not contain "#"');

/** PUT /contacts/{id} body, and a contacts CSV row (with `id`). */
export const ContactInput = z.strictObject({
  email: z.email({ error: "is not an e-mail address" }).max(254).optional(),
  firstName: z.string().trim().max(100, "is longer than 100 characters").refine(noControlCharacters, "contains control characters").optional(),
  subscription: z.enum(subscriptionStatuses, { error: `must be one of ${subscriptionStatuses.join(", ")}` }).default("never_subscribed"),
  /** When the contact gave (or withdrew) consent; required with "subscribed", for the record GDPR asks for. */
  consentAt: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time like 2024-05-31T14:03:00Z" }).optional(),
  country: z.string().trim().length(2, "must be a two-letter country code").toUpperCase().optional(),
}).refine((c) => c.subscription !== "subscribed" || c.consentAt !== undefined, { message: "is required when subscription is subscribed", path: ["consentAt"] });
export type ContactInput = z.output<typeof ContactInput>;

/** A contact's profile as stored. */
export interface ContactProfile extends ContactInput {
  contactId: string;
  updatedAt: string;
}
