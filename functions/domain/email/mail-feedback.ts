import type { StoreData } from "../store/ports.js";

/** What a mail provider reported back about a mail we sent, in the store's terms. */
export interface MailFeedback {
  contactId: string;
  /** A hard bounce or a complaint: either way, never mail this contact again. */
  type: "bounced" | "complained";
  /** When it happened, ISO 8601. */
  at: string;
  /** Which e-mail (workflow/template), when the mail carried it. */
  emailId?: string;
}

/**
 * Stops mail to the contact (subscription "unsubscribed", as the events route does for a bounce)
 * and records the event. Both writes are safe to repeat, so a redelivered event changes nothing; a
 * contact already unsubscribed keeps the time it opted out.
 */
export async function applyMailFeedback(feedback: MailFeedback, store: Pick<StoreData, "getContact" | "setSubscription" | "recordEmailEvent">): Promise<void> {
  const contact = await store.getContact(feedback.contactId);
  if (contact?.profile?.subscription !== "unsubscribed") await store.setSubscription(feedback.contactId, "unsubscribed", feedback.at);
  await store.recordEmailEvent({
    contactId: feedback.contactId,
    type: feedback.type,
    at: feedback.at,
    ...(feedback.emailId !== undefined && { emailId: feedback.emailId }),
  });
}
