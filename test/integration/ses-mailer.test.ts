import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import type { Server } from "node:http";
import { parseHTML } from "linkedom";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { DynamoDbSendLog } from "../../functions/adapters/dynamodb/send-log.js";
import { createStoreTable, startLocalDynamo, storeClient, type LocalDynamo } from "../../functions/adapters/dynamodb/store-client.js";
import { SesMailer, sesClient } from "../../functions/adapters/ses/ses-mailer.js";
import type { Mailer, OutgoingEmail } from "../../functions/domain/email/ports.js";
import { PermanentSendError } from "../../functions/domain/email/send-errors.js";
import { EmailSettings, sendWorkflowEmail, STALE_CLAIM_MS, type EmailDependencies, type SendWorkflowEmailInput } from "../../functions/domain/email/send-workflow-email.js";
import { emailTemplate } from "../../functions/adapters/files/email-files.js";
import { verifyUnsubscribeToken } from "../../functions/domain/store/unsubscribe-token.js";
import { handler as sesEventsHandler } from "../../functions/handlers/ses-events.js";
import { startLocalApi } from "../../functions/local/http-server.js";
import { startLocalMail, type LocalMail } from "../../functions/local/local-mail.js";

const TABLE = "ses-mailer";
const SECRET = "a-test-secret-of-enough-length";
const NOW = Date.parse("2024-06-07T09:00:00Z");
const CONSENT = "2024-01-01T00:00:00Z";

let dynamo: LocalDynamo;
let mail: LocalMail;
let api: Server;
let store: DynamoDbStore;
let sendLog: DynamoDbSendLog;
let ses: SesMailer;
let settings: EmailSettings;
// Test files share a process (vitest.config.ts): the environment set below is given back after them.
const savedEnvironment = { ...process.env };
const client = () => storeClient({ endpoint: dynamo.endpoint });

beforeAll(async () => {
  [dynamo, mail] = await Promise.all([startLocalDynamo(), startLocalMail()]);
  await createStoreTable(client(), TABLE);
  store = new DynamoDbStore(client(), TABLE);
  sendLog = new DynamoDbSendLog(client(), TABLE);
  ses = new SesMailer(sesClient(mail.endpoint), { configurationSetName: "clv-mail" });
  // The store's own API on localhost, so the header's one-click URL can really be posted to.
  api = await startLocalApi({ store, clock: () => NOW, unsubscribeSecret: async () => SECRET, apiKeyHashes: [] });
  settings = EmailSettings.parse({
    from: "Shop <hola@shop.example>",
    storeName: "Shop & Co",
    storeUrl: "https://shop.example/",
    couponUrl: "https://shop.example/discount/{code}",
    unsubscribeUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}/unsubscribe`,
    unsubscribeSecret: SECRET,
    unsubscribeMailto: "unsubscribe@shop.example",
  });
  // What the SES events Lambda reads from its environment.
  process.env.TABLE_NAME = TABLE;
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
});

afterAll(async () => {
  process.env = savedEnvironment;
  api?.closeAllConnections();
  await new Promise((resolve) => api?.close(resolve));
  await mail?.stop();
  await dynamo?.close();
});

/** The SES mailer, keeping what it was asked to send (aws-ses-v2-local does not keep tags). */
function recordingSes(): Mailer & { sent: OutgoingEmail[] } {
  const sent: OutgoingEmail[] = [];
  return { sent, send: (email) => (sent.push(email), ses.send(email)) };
}

async function subscribedContact(contactId: string, email = `${contactId}@example.com`) {
  await store.putContact(contactId, { email, firstName: "Ana", subscription: "subscribed", consentAt: CONSENT });
}

const input = (contactId: string, overrides: Partial<SendWorkflowEmailInput> = {}): SendWorkflowEmailInput => ({
  contactId,
  template: emailTemplate("reactivation-coupon"),
  variables: { couponCode: `BACK-${contactId}`, couponExpiresAt: "2024-06-14T23:59:59Z" },
  idempotencyKey: `win-back-${contactId}-2024-06-07#Send coupon`,
  workflowId: "win-back",
  now: NOW,
  ...overrides,
});

const deps = (mailer: Mailer = ses): EmailDependencies => ({ contacts: store, mailer, sendLog, settings });
const mailTo = async (address: string) => (await mail.listMail()).filter((m) => m.destination.to.includes(address));

describe("sending through SES (aws-ses-v2-local) with the send log in dynalite", () => {
  it("delivers the coupon mail with every link tagged and the one-click unsubscribe headers", async () => {
    // Prepare
    await subscribedContact("c-send");
    // Act
    const outcome = await sendWorkflowEmail(input("c-send"), deps());
    // Assess
    expect(outcome.outcome).toBe("sent");

    const [stored, ...more] = await mailTo("c-send@example.com");
    expect(more).toHaveLength(0);
    expect(stored!.messageId).toBe((outcome as { messageId: string }).messageId);
    expect(stored!.from).toBe("Shop <hola@shop.example>");
    expect(stored!.subject).toBe("A gift to come back to Shop & Co");
    expect(stored!.body.text).toContain("BACK-c-send");

    const headers = Object.fromEntries((stored!.headers ?? []).map((h) => [h.name, h.value]));
    expect(headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    const [url, mailto] = headers["List-Unsubscribe"]!.split(", ").map((t) => t.slice(1, -1));
    expect(url).toMatch(new RegExp(`^${settings.unsubscribeUrl}\\?token=`));
    expect(verifyUnsubscribeToken(new URL(url!).searchParams.get("token")!, NOW, { secret: SECRET })).toEqual({ valid: true, contactId: "c-send" });
    expect(mailto).toMatch(/^mailto:unsubscribe@shop\.example\?subject=unsubscribe%20/);

    const hrefs = [...parseHTML(stored!.body.html!).document.querySelectorAll("a[href]")].map((a) => new URL(a.getAttribute("href")!));
    expect(hrefs.length).toBeGreaterThanOrEqual(3);
    for (const href of hrefs) expect([href.searchParams.get("utm_source"), href.searchParams.get("utm_medium"), href.searchParams.get("utm_campaign")]).toEqual(["shop-co", "email", "win-back"]);
  });

  it("sends once when the step is retried, and records the message id", async () => {
    // Prepare
    await subscribedContact("c-retry");
    const first = await sendWorkflowEmail(input("c-retry"), deps());
    // Act
    const retried = await sendWorkflowEmail(input("c-retry", { now: NOW + 30_000 }), deps());
    const concurrent = await Promise.allSettled([sendWorkflowEmail(input("c-retry"), deps()), sendWorkflowEmail(input("c-retry"), deps())]);
    // Assess
    expect(retried).toEqual({ outcome: "already-sent", messageId: (first as { messageId: string }).messageId, sentAt: "2024-06-07T09:00:00.000Z" });
    expect(concurrent.map((r) => r.status === "fulfilled" && r.value.outcome)).toEqual(["already-sent", "already-sent"]);
    expect(await mailTo("c-retry@example.com")).toHaveLength(1);
    expect(await sendLog.read({ contactId: "c-retry", idempotencyKey: "win-back-c-retry-2024-06-07#Send coupon" })).toMatchObject({ status: "sent", messageId: (first as { messageId: string }).messageId });
  });

  it("mails no contact who is unsubscribed or never subscribed", async () => {
    // Prepare
    await store.putContact("c-out", { email: "c-out@example.com", subscription: "unsubscribed", consentAt: CONSENT });
    await store.putContact("c-never", { email: "c-never@example.com", subscription: "never_subscribed" });
    // Act and assess
    expect(await sendWorkflowEmail(input("c-out"), deps())).toEqual({ outcome: "skipped-unsubscribed", subscription: "unsubscribed", reason: expect.stringContaining("opted out") });
    expect(await sendWorkflowEmail(input("c-never"), deps())).toEqual({ outcome: "skipped-unsubscribed", subscription: "never_subscribed", reason: "the contact never subscribed" });
    expect([...(await mailTo("c-out@example.com")), ...(await mailTo("c-never@example.com"))]).toHaveLength(0);
  });

  it("stops the reminder after the contact used the header's one-click unsubscribe", async () => {
    // Prepare
    await subscribedContact("c-click");
    await sendWorkflowEmail(input("c-click"), deps());
    const [first] = await mailTo("c-click@example.com");
    const url = first!.headers!.find((h) => h.name === "List-Unsubscribe")!.value.split(", ")[0]!.slice(1, -1);
    // Act
    // What a mail client does (RFC 8058 §3.2).
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    // Assess
    expect(response.status).toBe(200);
    const reminder = await sendWorkflowEmail(input("c-click", { template: emailTemplate("reactivation-reminder"), idempotencyKey: "win-back-c-click-2024-06-07#Send reminder" }), deps());
    expect(reminder.outcome).toBe("skipped-unsubscribed");
    expect(await mailTo("c-click@example.com")).toHaveLength(1);
  });

  it("suppresses a contact whose mail bounced hard (the SES events Lambda), and sends it nothing more", async () => {
    // Prepare
    await subscribedContact("c-bounce");
    const mailer = recordingSes();
    await sendWorkflowEmail(input("c-bounce"), deps(mailer));
    const tags = Object.fromEntries([["ses:configuration-set", ["clv-mail"]], ...mailer.sent[0]!.tags.map((t) => [t.name, [t.value]])]);
    // Act
    await sesEventsHandler({
      source: "aws.ses",
      "detail-type": "Email Bounced",
      detail: {
        eventType: "Bounce",
        bounce: { bounceType: "Permanent", bounceSubType: "General", bouncedRecipients: [{ emailAddress: "c-bounce@example.com" }], timestamp: "2024-06-07T09:01:00.000Z" },
        mail: { messageId: "0102-x", timestamp: "2024-06-07T09:00:00.000Z", tags },
      },
    });
    // Assess
    expect((await store.getContact("c-bounce"))?.profile?.subscription).toBe("suppressed");
    const reminder = await sendWorkflowEmail(input("c-bounce", { template: emailTemplate("reactivation-reminder"), idempotencyKey: "win-back-c-bounce-2024-06-07#Send reminder" }), deps(mailer));
    expect(reminder.outcome).toBe("skipped-unsubscribed");
    expect(mailer.sent).toHaveLength(1);
  });

  it("classifies a request SES refuses as permanent, and frees the key", async () => {
    // Prepare
    await subscribedContact("c-reject");
    const refusing: EmailDependencies = { ...deps(), settings: { ...settings, from: "" } };
    // Act
    const error = await sendWorkflowEmail(input("c-reject"), refusing).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(PermanentSendError);
    expect((error as PermanentSendError).message).toMatch(/HTTP 400/);
    expect(await sendLog.read({ contactId: "c-reject", idempotencyKey: "win-back-c-reject-2024-06-07#Send coupon" })).toBeUndefined();
    expect((await sendWorkflowEmail(input("c-reject"), deps())).outcome).toBe("sent");
  });
});

describe("the send log in dynalite", () => {
  const key = (idempotencyKey: string) => ({ contactId: "c-log", idempotencyKey });
  const claimAt = (k: string, now: number) => sendLog.claim(key(k), { now, staleBefore: now - STALE_CLAIM_MS, templateId: "t" });

  it("gives a key to one of many racing attempts", async () => {
    // Act
    const claims = await Promise.all(Array.from({ length: 8 }, () => claimAt("race", NOW)));
    // Assess
    expect(claims.filter((c) => c.status === "claimed")).toHaveLength(1);
    expect(claims.filter((c) => c.status === "in-progress")).toHaveLength(7);
  });

  it("hands a stale claim to a new attempt, and lets each attempt release only its own", async () => {
    // Prepare
    const first = await claimAt("stale", NOW);
    // Act and assess
    expect(await claimAt("stale", NOW + STALE_CLAIM_MS)).toEqual({ status: "in-progress", claimedAt: "2024-06-07T09:00:00.000Z" });
    const second = await claimAt("stale", NOW + STALE_CLAIM_MS + 1);
    expect(second.status).toBe("claimed");
    await sendLog.release(key("stale"), { attempt: (first as { attempt: string }).attempt });
    expect(await sendLog.read(key("stale"))).toMatchObject({ status: "claimed", attempt: (second as { attempt: string }).attempt });
    await sendLog.release(key("stale"), { attempt: (second as { attempt: string }).attempt });
    expect(await sendLog.read(key("stale"))).toBeUndefined();
  });

  it("takes its own claim when the SDK tried the put again after losing its answer", async () => {
    // Prepare: a transport that passes the first claim's put on to dynalite and loses the answer, as a reset connection does.
    type Handler = { handle(request: { headers: Record<string, string> }, options?: unknown): Promise<{ response: { body: Readable } }> };
    const inner = client().config.requestHandler as unknown as Handler;
    let lost = 0;
    const handle: Handler["handle"] = async (request, options) => {
      const answer = await inner.handle(request, options);
      if (lost > 0 || request.headers["x-amz-target"] !== "DynamoDB_20120810.PutItem") return answer;
      lost++;
      answer.response.body.resume();
      throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    };
    const resetOnce = new DynamoDbSendLog(storeClient({ endpoint: dynamo.endpoint, requestHandler: { handle } as never }), TABLE);

    // Act
    const claim = await resetOnce.claim(key("reset"), { now: NOW, staleBefore: NOW - STALE_CLAIM_MS, templateId: "t" });

    // Assess: the key is this attempt's, and another attempt still finds it taken.
    expect(lost).toBe(1);
    expect(claim.status).toBe("claimed");
    expect(await sendLog.read(key("reset"))).toMatchObject({ status: "claimed", attempt: (claim as { attempt: string }).attempt });
    expect((await claimAt("reset", NOW)).status).toBe("in-progress");
  });

  it("keeps the first message id, and never releases a sent record", async () => {
    // Prepare
    const claim = (await claimAt("done", NOW)) as { attempt: string };
    await sendLog.complete(key("done"), { attempt: claim.attempt, messageId: "m-1", now: NOW });
    await sendLog.complete(key("done"), { attempt: "another", messageId: "m-2", now: NOW + 1 });
    // Act
    await sendLog.release(key("done"), { attempt: claim.attempt });
    // Assess
    expect(await claimAt("done", NOW + 10 * STALE_CLAIM_MS)).toEqual({ status: "sent", messageId: "m-1", sentAt: "2024-06-07T09:00:00.000Z" });
  });
});
