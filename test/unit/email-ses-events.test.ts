import { describe, expect, it } from "vitest";
import { feedbackFromSesEvent, SesEventBridgeEvent } from "../../functions/adapters/ses/ses-feedback-event.js";
import { applyMailFeedback } from "../../functions/domain/email/mail-feedback.js";
import { mailTags, readMailTags } from "../../functions/domain/email/mail-tags.js";
import { parseEvent } from "../../functions/handlers/events.js";
import { RecordingStore } from "../support/recording-store.js";

/** Tags as SES puts them on the events of a mail sent with mailTags(…). */
const tagsOf = (contactId: string, emailId: string) => ({
  "ses:configuration-set": ["clv-mail"],
  "ses:from-domain": ["shop.example"],
  ...Object.fromEntries(mailTags(contactId, emailId).map((t) => [t.name, [t.value]])),
});

const mail = (tags: Record<string, string[]>) => ({
  timestamp: "2024-06-07T09:00:00.000Z",
  source: "Shop <hola@shop.example>",
  sourceArn: "arn:aws:ses:eu-west-1:123456789012:identity/shop.example",
  sendingAccountId: "123456789012",
  messageId: "0102018fefe0a1b2-aaaa-000000",
  destination: ["ana@example.com"],
  headersTruncated: false,
  tags,
});

/** The EventBridge envelope around an SES event record (the record is what SES also publishes to SNS). */
const envelope = <D>(detailType: string, detail: D) => ({
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": detailType,
  source: "aws.ses",
  account: "123456789012",
  time: "2024-06-07T09:00:05Z",
  region: "eu-west-1",
  resources: ["arn:aws:ses:eu-west-1:123456789012:configuration-set/clv-mail"],
  detail,
});

const bounce = (bounceType: string, tags: Record<string, string[]> = tagsOf("c-1", "win-back/reactivation-coupon")) =>
  envelope("Email Bounced", {
    eventType: "Bounce",
    bounce: {
      bounceType,
      bounceSubType: bounceType === "Permanent" ? "General" : "MailboxFull",
      bouncedRecipients: [{ emailAddress: "ana@example.com", action: "failed", status: "5.1.1", diagnosticCode: "smtp; 550 5.1.1 user unknown" }],
      timestamp: "2024-06-07T09:00:04.669Z",
      feedbackId: "0102-feedback",
      reportingMTA: "dsn; mta.example.com",
    },
    mail: mail(tags),
  });

const complaint = envelope("Email Complaint Received", {
  eventType: "Complaint",
  complaint: {
    complainedRecipients: [{ emailAddress: "ana@example.com" }],
    timestamp: "2024-06-08T10:00:00.000Z",
    feedbackId: "0102-complaint",
    userAgent: "Yahoo!-Mail-Feedback/2.0",
    complaintFeedbackType: "abuse",
    arrivalDate: "2024-06-08T09:59:00.000Z",
  },
  mail: mail(tagsOf("c-1", "win-back/reactivation-reminder")),
});

const parse = (event: unknown) => feedbackFromSesEvent(parseEvent(SesEventBridgeEvent, event, "SES event"));

describe("SES feedback events", () => {
  it("reads a hard bounce as the contact's bounce, found by the mail's tags", () => {
    // Act and assess
    expect(parse(bounce("Permanent"))).toEqual({ feedback: { contactId: "c-1", type: "bounced", at: "2024-06-07T09:00:04.669Z", emailId: "win-back/reactivation-coupon" } });
  });

  it("reads a complaint", () => {
    // Act and assess
    expect(parse(complaint)).toEqual({ feedback: { contactId: "c-1", type: "complained", at: "2024-06-08T10:00:00.000Z", emailId: "win-back/reactivation-reminder" } });
  });

  it("ignores soft bounces and mail other senders sent through the account", () => {
    // Act and assess
    expect(parse(bounce("Transient"))).toEqual({ ignored: expect.stringContaining("Transient bounce (MailboxFull)") });
    expect(parse(bounce("Permanent", { "ses:configuration-set": ["clv-mail"] }))).toEqual({ ignored: expect.stringContaining("no contact tag") });
  });

  it("refuses an event of another shape, naming the field", () => {
    // Act and assess
    expect(() => parse({ ...complaint, detail: { ...complaint.detail, eventType: "Delivery" } })).toThrowError(/bad SES event: detail\.eventType/);
    expect(() => parse(envelope("Email Bounced", { ...bounce("Permanent").detail, bounce: { bounceType: "Permanent" } }))).toThrowError(/detail\.bounce\.bounceSubType/);
  });

  it("carries contact ids that SES tags could not hold as they are", () => {
    // Prepare
    const tags = Object.fromEntries(mailTags("maría.lópez@example.com", "win-back/reactivation-coupon").map((t) => [t.name, [t.value]]));
    // Act and assess
    for (const [value] of Object.values(tags)) expect(value).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(readMailTags(tags)).toEqual({ contactId: "maría.lópez@example.com", emailId: "win-back/reactivation-coupon" });
  });
});

describe("applyMailFeedback", () => {
  const NOW = Date.parse("2024-06-08T00:00:00Z");
  async function storeWith(subscription: "subscribed" | "unsubscribed") {
    const store = new RecordingStore(() => NOW);
    await store.putContact("c-1", { email: "ann@example.com", subscription, consentAt: "2024-01-01T00:00:00Z" });
    store.writes.length = 0;
    return store;
  }
  const feedback = { contactId: "c-1", type: "bounced", at: "2024-06-07T09:00:04.669Z", emailId: "win-back/reactivation-coupon" } as const;

  it("a hard bounce suppresses the contact's address, and is recorded as an event", async () => {
    // Prepare
    const store = await storeWith("subscribed");
    // Act
    await applyMailFeedback(feedback, store);
    // Assess
    expect(store.profiles.get("c-1")).toMatchObject({ subscription: "suppressed", bouncedAt: feedback.at });
    expect(store.writes).toEqual([
      { method: "changeSubscription", args: ["c-1", { type: "bounce", at: feedback.at }] },
      { method: "recordEmailEvent", args: [{ contactId: "c-1", type: "bounced", at: feedback.at, emailId: "win-back/reactivation-coupon" }] },
    ]);
  });

  it("a complaint suppresses, and an unsubscribed contact keeps the time it opted out", async () => {
    // Prepare
    const store = await storeWith("unsubscribed");
    const optedOutAt = store.profiles.get("c-1")!.optedOutAt;
    // Act
    await applyMailFeedback({ ...feedback, type: "complained" }, store);
    // Assess
    expect(store.profiles.get("c-1")).toMatchObject({ subscription: "suppressed", complainedAt: feedback.at, optedOutAt });
  });

  it("a redelivered event changes nothing more", async () => {
    // Prepare
    const store = await storeWith("subscribed");
    await applyMailFeedback(feedback, store);
    const once = structuredClone(store.profiles.get("c-1"));
    // Act
    await applyMailFeedback(feedback, store);
    // Assess
    expect(store.profiles.get("c-1")).toEqual(once);
  });
});
