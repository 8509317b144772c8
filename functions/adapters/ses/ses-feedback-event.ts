import { z } from "zod";
import type { MailFeedback } from "../../domain/email/mail-feedback.js";
import { readMailTags } from "../../domain/email/mail-tags.js";

/**
 * An SES event as EventBridge delivers it from a configuration set's event destination: the
 * envelope, and in `detail` the event record SES also publishes to SNS or Firehose. Only the fields
 * this code reads are checked; SES adds fields over time, and they pass.
 */
const Recipient = z.object({ emailAddress: z.string() });
const SesMail = z.object({
  messageId: z.string().min(1),
  timestamp: z.string(),
  tags: z.record(z.string(), z.array(z.string())).default({}),
});
const SesBounce = z.object({
  eventType: z.literal("Bounce"),
  mail: SesMail,
  bounce: z.object({
    /** Permanent: the address does not take mail. Transient: full mailbox, too large; SES gave up retrying. Undetermined: SES could not tell. */
    bounceType: z.enum(["Permanent", "Transient", "Undetermined"]),
    bounceSubType: z.string(),
    bouncedRecipients: z.array(Recipient).min(1),
    timestamp: z.iso.datetime({ offset: true }),
  }),
});
const SesComplaint = z.object({
  eventType: z.literal("Complaint"),
  mail: SesMail,
  complaint: z.object({
    complainedRecipients: z.array(Recipient).min(1),
    timestamp: z.iso.datetime({ offset: true }),
    complaintFeedbackType: z.string().optional(),
  }),
});
const SesRecord = z.discriminatedUnion("eventType", [SesBounce, SesComplaint]);

export const SesEventBridgeEvent = z.object({
  source: z.literal("aws.ses"),
  "detail-type": z.string(),
  detail: SesRecord,
});

export type SesEventBridgeEvent = z.output<typeof SesEventBridgeEvent>;

export type FeedbackOrIgnored = { feedback: MailFeedback } | { ignored: string };

/** The feedback in a parsed SES event, or why it asks nothing of the store. */
export function feedbackFromSesEvent(event: SesEventBridgeEvent): FeedbackOrIgnored {
  const record = event.detail;
  const { contactId, emailId } = readMailTags(record.mail.tags);
  if (contactId === undefined) return { ignored: `message ${record.mail.messageId} carries no contact tag (not sent by a workflow)` };
  const withEmail = emailId !== undefined ? { emailId } : {};
  if (record.eventType === "Bounce") {
    // A soft bounce says nothing about next week's mail; only a hard one stops mail to the contact.
    if (record.bounce.bounceType !== "Permanent") return { ignored: `${record.bounce.bounceType} bounce (${record.bounce.bounceSubType}) of message ${record.mail.messageId}` };
    return { feedback: { contactId, type: "bounced", at: new Date(record.bounce.timestamp).toISOString(), ...withEmail } };
  }
  return { feedback: { contactId, type: "complained", at: new Date(record.complaint.timestamp).toISOString(), ...withEmail } };
}
