import { z } from "zod";
import { ContactId } from "./contact.js";

export const emailEventTypes = ["sent", "opened", "clicked", "bounced", "complained"] as const;
export type EmailEventType = (typeof emailEventTypes)[number];

/** POST /events body: something that happened to an e-mail we sent a contact. */
export const EmailEventInput = z.strictObject({
  contactId: ContactId,
  type: z.enum(emailEventTypes, { error: `must be one of ${emailEventTypes.join(", ")}` }),
  at: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time like 2024-05-31T14:03:00Z" }),
  /** Which e-mail: a campaign or workflow step id. */
  emailId: z.string().trim().min(1).max(200).optional(),
});
export type EmailEventInput = z.output<typeof EmailEventInput>;
