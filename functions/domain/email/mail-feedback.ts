import type { StoreData } from "../store/ports.js";

/** What a mail provider (or the store's platform, by POST /events) reported back about a mail we sent, in the store's terms. */
export interface MailFeedback {
  contactId: string;
  /** A hard bounce (the address does not take mail) or a complaint (the person marked it as spam). */
  type: "bounced" | "complained";
  /** When it happened, ISO 8601. */
  at: string;
  /** Which e-mail (workflow/template), when the mail carried it. */
  emailId?: string;
}

/**
 * The one way a bounce or a complaint reaches a contact, from SES (ses-events.ts) and from POST /events:
 * the subscription rules take it (a complaint suppresses until a newer consent, a hard bounce
 * suppresses the address it bounced on), and it is recorded as an e-mail event. Both writes are safe
 * to repeat, so a redelivered event changes nothing.
 */
export async function applyMailFeedback(feedback: MailFeedback, store: Pick<StoreData, "changeSubscription" | "recordEmailEvent">): Promise<void> {
  await store.changeSubscription(feedback.contactId, feedback.type === "bounced" ? { type: "bounce", at: feedback.at } : { type: "complaint", at: feedback.at });
  await store.recordEmailEvent({
    contactId: feedback.contactId,
    type: feedback.type,
    at: feedback.at,
    ...(feedback.emailId !== undefined && { emailId: feedback.emailId }),
  });
}
