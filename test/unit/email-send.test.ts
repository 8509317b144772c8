import { describe, expect, it } from "vitest";
import type { Mailer, OutgoingEmail, SendClaim, SendKey, SendLog } from "../../functions/domain/email/ports.js";
import { PermanentSendError, RetryableSendError } from "../../functions/domain/email/send-errors.js";
import { EmailSettings, sendWorkflowEmail, STALE_CLAIM_MS, type EmailDependencies, type SendWorkflowEmailInput } from "../../functions/domain/email/send-workflow-email.js";
import { emailTemplate } from "../../functions/adapters/files/email-files.js";
import { MissingVariableError } from "../../functions/domain/email/template.js";
import type { ContactProfile } from "../../functions/domain/store/contact.js";

const NOW = Date.parse("2024-06-07T09:00:00Z");
const settings = EmailSettings.parse({
  from: "Shop <hola@shop.example>",
  storeName: "Shop",
  storeUrl: "https://shop.example/",
  unsubscribeUrl: "https://api.shop.example/unsubscribe",
  unsubscribeSecret: "a-test-secret-of-enough-length",
});

/** The send log's rules (ports.ts) in memory, as DynamoDbSendLog keeps them in the table. */
class MemorySendLog implements SendLog {
  readonly records = new Map<string, { status: "claimed"; attempt: string; claimedAt: number } | { status: "sent"; messageId: string; sentAt: string }>();
  private attempts = 0;
  async claim(key: SendKey, options: { now: number; staleBefore: number }): Promise<SendClaim> {
    const id = `${key.contactId}|${key.idempotencyKey}`;
    const found = this.records.get(id);
    if (found?.status === "sent") return { status: "sent", messageId: found.messageId, sentAt: found.sentAt };
    if (found && found.claimedAt >= options.staleBefore) return { status: "in-progress", claimedAt: new Date(found.claimedAt).toISOString() };
    const attempt = `attempt-${++this.attempts}`;
    this.records.set(id, { status: "claimed", attempt, claimedAt: options.now });
    return { status: "claimed", attempt };
  }
  async complete(key: SendKey, options: { messageId: string; now: number }): Promise<void> {
    const id = `${key.contactId}|${key.idempotencyKey}`;
    if (this.records.get(id)?.status === "claimed") this.records.set(id, { status: "sent", messageId: options.messageId, sentAt: new Date(options.now).toISOString() });
  }
  async release(key: SendKey, options: { attempt: string }): Promise<void> {
    const id = `${key.contactId}|${key.idempotencyKey}`;
    const found = this.records.get(id);
    if (found?.status === "claimed" && found.attempt === options.attempt) this.records.delete(id);
  }
}

/** A mailer that keeps what it sent, or fails as told. */
class RecordingMailer implements Mailer {
  readonly sent: OutgoingEmail[] = [];
  failWith: Error | undefined;
  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    if (this.failWith) throw this.failWith;
    this.sent.push(email);
    return { messageId: `msg-${this.sent.length}` };
  }
}

const profile = (p: Partial<ContactProfile> & { contactId: string }): ContactProfile => ({ subscription: "subscribed", updatedAt: "2024-01-01T00:00:00Z", ...p });

function setup(contacts: ContactProfile[] = [profile({ contactId: "c-1", email: "ana@example.com", firstName: "Ana", consentAt: "2024-01-01T00:00:00Z" })]) {
  const byId = new Map(contacts.map((c) => [c.contactId, c]));
  const mailer = new RecordingMailer();
  const sendLog = new MemorySendLog();
  const deps: EmailDependencies = {
    contacts: { getContactProfile: async (id: string): Promise<ContactProfile | undefined> => byId.get(id) },
    mailer,
    sendLog,
    settings,
  };
  const input = (overrides: Partial<SendWorkflowEmailInput> = {}): SendWorkflowEmailInput => ({
    contactId: "c-1",
    template: emailTemplate("reactivation-coupon"),
    variables: { couponCode: "BACK-1", couponExpiresAt: "2024-06-14T23:59:59Z" },
    idempotencyKey: "win-back-c-1-2024-06-07#Send coupon",
    workflowId: "win-back",
    now: NOW,
    ...overrides,
  });
  return { byId, mailer, sendLog, deps, input };
}

describe("sendWorkflowEmail", () => {
  it("sends a subscribed contact the mail, with the unsubscribe headers and the contact's tags", async () => {
    // Prepare
    const { deps, input, mailer } = setup();
    // Act and assess
    expect(await sendWorkflowEmail(input(), deps)).toEqual({ outcome: "sent", messageId: "msg-1" });
    expect(mailer.sent).toHaveLength(1);
    const [mail] = mailer.sent;
    expect(mail!.to).toBe("ana@example.com");
    expect(mail!.from).toBe("Shop <hola@shop.example>");
    expect(mail!.headers.map((h) => h.name)).toEqual(["List-Unsubscribe", "List-Unsubscribe-Post"]);
    expect(mail!.tags.map((t) => t.name)).toEqual(["contact", "email"]);
  });

  it("sends once however often the step is retried, answering retries with the first message id", async () => {
    // Prepare
    const { deps, input, mailer } = setup();
    await sendWorkflowEmail(input(), deps);
    // Act
    const retry = await sendWorkflowEmail(input({ now: NOW + 60_000 }), deps);
    // Assess
    expect(retry).toEqual({ outcome: "already-sent", messageId: "msg-1", sentAt: "2024-06-07T09:00:00.000Z" });
    expect(mailer.sent).toHaveLength(1);
    // Another step (the reminder) has its own key and sends.
    expect((await sendWorkflowEmail(input({ idempotencyKey: "win-back-c-1-2024-06-07#Send reminder" }), deps)).outcome).toBe("sent");
    expect(mailer.sent).toHaveLength(2);
  });

  it("sends once when two attempts of the same step race", async () => {
    // Prepare
    const { deps, input, mailer } = setup();
    // Act
    const results = await Promise.allSettled([sendWorkflowEmail(input(), deps), sendWorkflowEmail(input(), deps)]);
    // Assess
    expect(mailer.sent).toHaveLength(1);
    const loser = results.find((r) => r.status === "rejected");
    expect(loser && (loser.reason as RetryableSendError).code).toBe("SendInProgress");
  });

  it.each([
    ["unsubscribed", profile({ contactId: "c-1", email: "ana@example.com", subscription: "unsubscribed", optedOutAt: "2024-03-01T00:00:00Z", subscriptionHistory: [] })],
    ["never subscribed", profile({ contactId: "c-1", email: "ana@example.com", subscription: "never_subscribed" })],
  ])("sends nothing to a contact %s, and leaves the key free for a later send", async (_, contact) => {
    const { deps, input, mailer, sendLog, byId } = setup([contact]);
    expect(await sendWorkflowEmail(input(), deps)).toEqual({ outcome: "skipped-unsubscribed", subscription: contact.subscription, reason: expect.any(String) });
    expect(mailer.sent).toHaveLength(0);
    expect(sendLog.records.size).toBe(0);
    // Subscribed by the time the step is retried: the status at send time is what counts.
    byId.set("c-1", { ...contact, subscription: "subscribed", consentAt: "2024-04-01T00:00:00Z" });
    expect((await sendWorkflowEmail(input(), deps)).outcome).toBe("sent");
  });

  it("reads the subscription when it sends: an unsubscribe after the first mail stops the reminder", async () => {
    // Prepare
    const { deps, input, mailer, byId } = setup();
    await sendWorkflowEmail(input(), deps);
    byId.set("c-1", { ...byId.get("c-1")!, subscription: "unsubscribed" });
    // Act and assess
    expect((await sendWorkflowEmail(input({ idempotencyKey: "x#Send reminder" }), deps)).outcome).toBe("skipped-unsubscribed");
    expect(mailer.sent).toHaveLength(1);
  });

  it("skips a contact without an address, and one the store does not know", async () => {
    // Prepare
    const { deps, input, mailer } = setup([profile({ contactId: "c-1" })]);
    // Act and assess
    expect(await sendWorkflowEmail(input(), deps)).toEqual({ outcome: "skipped-no-email" });
    expect(await sendWorkflowEmail(input({ contactId: "c-unknown" }), deps)).toEqual({ outcome: "skipped-no-email" });
    expect(mailer.sent).toHaveLength(0);
  });

  it("throws for a missing variable before anything is sent, and frees the key", async () => {
    // Prepare
    const { deps, input, mailer, sendLog } = setup();
    // Act and assess
    await expect(sendWorkflowEmail(input({ variables: { couponExpiresAt: "2024-06-14T23:59:59Z" } }), deps)).rejects.toThrowError(MissingVariableError);
    expect(mailer.sent).toHaveLength(0);
    expect(sendLog.records.size).toBe(0);
  });

  it("names the field of a bad request", async () => {
    // Prepare
    const { deps, input } = setup();
    // Act and assess
    await expect(sendWorkflowEmail(input({ idempotencyKey: " " }), deps)).rejects.toThrowError("idempotencyKey: is empty");
    await expect(sendWorkflowEmail(input({ variables: { couponCode: "X", couponExpiresAt: "next week" } }), deps)).rejects.toThrowError(/variables\.couponExpiresAt: must be an ISO 8601 time/);
  });

  it("frees the key after an error SES answered, so the retry sends once", async () => {
    // Act
    const { deps, input, mailer } = setup();
    mailer.failWith = new RetryableSendError("TooManyRequestsException", "throttled", "no");
    // Assess
    await expect(sendWorkflowEmail(input(), deps)).rejects.toBeInstanceOf(RetryableSendError);
    mailer.failWith = undefined;
    expect((await sendWorkflowEmail(input({ now: NOW + 1_000 }), deps)).outcome).toBe("sent");
    expect(mailer.sent).toHaveLength(1);
  });

  it("passes a permanent rejection on as PermanentSendError and frees the key", async () => {
    // Act
    const { deps, input, mailer, sendLog } = setup();
    mailer.failWith = new PermanentSendError("MessageRejected", "Email address is not verified.");
    // Assess
    await expect(sendWorkflowEmail(input(), deps)).rejects.toMatchObject({ name: "PermanentSendError", code: "MessageRejected" });
    expect(sendLog.records.size).toBe(0);
  });

  it("after a send whose outcome is unknown, waits for the claim to go stale, then sends (at least once)", async () => {
    // Act
    const { deps, input, mailer } = setup();
    mailer.failWith = new RetryableSendError("TimeoutError", "no answer", "unknown");
    // Assess
    await expect(sendWorkflowEmail(input(), deps)).rejects.toMatchObject({ code: "TimeoutError" });
    mailer.failWith = undefined;
    // A retry within the stale window must not send: the first attempt may have.
    await expect(sendWorkflowEmail(input({ now: NOW + STALE_CLAIM_MS - 1 }), deps)).rejects.toMatchObject({ name: "RetryableSendError", code: "SendInProgress" });
    expect(mailer.sent).toHaveLength(0);
    expect((await sendWorkflowEmail(input({ now: NOW + STALE_CLAIM_MS + 1 }), deps)).outcome).toBe("sent");
    expect(mailer.sent).toHaveLength(1);
  });

  it("after a crash between SES and the record, resends only once the claim is stale", async () => {
    // Prepare
    const { deps, input, mailer, sendLog } = setup();
    const crashing: EmailDependencies = { ...deps, sendLog: { claim: (k, o) => sendLog.claim(k, o), release: (k, o) => sendLog.release(k, o), complete: async () => Promise.reject(new Error("process died")) } };
    // Act and assess
    await expect(sendWorkflowEmail(input(), crashing)).rejects.toThrowError("process died");
    expect(mailer.sent).toHaveLength(1);
    await expect(sendWorkflowEmail(input({ now: NOW + 60_000 }), deps)).rejects.toMatchObject({ code: "SendInProgress" });
    expect(mailer.sent).toHaveLength(1);
    // The documented cost of at-least-once: after the stale window the mail goes again.
    expect((await sendWorkflowEmail(input({ now: NOW + STALE_CLAIM_MS + 1 }), deps)).outcome).toBe("sent");
    expect(mailer.sent).toHaveLength(2);
  });
});
