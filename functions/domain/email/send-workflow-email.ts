import { z } from "zod";
import { ContactId, type ContactProfile, type SubscriptionStatus } from "../store/contact.js";
import type { StoreData } from "../store/ports.js";
import { mailPermission } from "../store/subscription.js";
import { signUnsubscribeToken } from "../store/unsubscribe-token.js";
import { mailTags } from "./mail-tags.js";
import type { Mailer, MessageHeader, OutgoingEmail, SendKey, SendLog } from "./ports.js";
import { PermanentSendError, RetryableSendError } from "./send-errors.js";
import { renderTemplate, type EmailTemplate, type TemplateValues } from "./template.js";
import { slug, tagLinks } from "./utm-links.js";

const noControlCharacters = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
const WebUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

/** "Name <address>" or a bare address, on one line. */
function isMailbox(value: string): boolean {
  const address = /^[^<>\r\n]*<([^<>\s]+)>$/.exec(value.trim())?.[1] ?? value.trim();
  return noControlCharacters(value) && z.email().safeParse(address).success;
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The store's e-mail settings; the sending Lambda reads them from its environment and secret. */
export const EmailSettings = z.object({
  from: z.string().refine(isMailbox, 'must be an address or "Name <address>"'),
  replyTo: z.email({ error: "is not an e-mail address" }).optional(),
  storeName: z.string().trim().min(1, "is empty").max(100),
  storeUrl: WebUrl,
  /**
   * A link that applies the coupon at the store, with `{code}` where the code goes (Shopify:
   * https://shop.example/discount/{code}); without it the button leads to storeUrl.
   */
  couponUrl: z
    .string()
    .refine((s) => s.includes("{code}") && WebUrl.safeParse(s.replaceAll("{code}", "CODE")).success, "must be an http(s) URL containing {code}")
    .optional(),
  /** utm_source of every link; the store name's slug when absent. */
  utmSource: z.string().regex(/^[A-Za-z0-9._-]+$/, "may contain letters, digits, '.', '_' and '-' only").optional(),
  /** The one-click unsubscribe endpoint (the API's POST /unsubscribe). http only on localhost. */
  unsubscribeUrl: WebUrl.refine((u) => new URL(u).protocol === "https:" || LOOPBACK.has(new URL(u).hostname), "must be an https URL (http only on localhost)"),
  /** Signs the unsubscribe token; the same secret the unsubscribe route verifies with. */
  unsubscribeSecret: z.string().min(16, "is shorter than 16 characters"),
  /** An address that takes unsubscribe requests by mail, offered next to the URL in List-Unsubscribe. */
  unsubscribeMailto: z.email({ error: "is not an e-mail address" }).optional(),
  /** Where dates in the mail (the coupon's expiry) are read. */
  timeZone: z.string().refine(isTimeZone, "is not an IANA time zone").default("UTC"),
});
export type EmailSettings = z.output<typeof EmailSettings>;

/** What the workflow knows about this mail beyond the contact: the coupon. */
export const EmailVariables = z.strictObject({
  couponCode: z.string().trim().min(1, "is empty").max(100).refine(noControlCharacters, "contains control characters").optional(),
  couponExpiresAt: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time like 2024-06-14T23:59:59Z" }).optional(),
});
export type EmailVariables = z.output<typeof EmailVariables>;

/** `<executionName>#<stepName>`: the same for every retry of one step of one execution, and only for those. */
export const IdempotencyKey = z
  .string({ error: "is missing" })
  .trim()
  .min(1, "is empty")
  .max(400, "is longer than 400 characters")
  .refine(noControlCharacters, "contains control characters");

export const WorkflowId = z.string({ error: "is missing" }).trim().min(1, "is empty").max(100, "is longer than 100 characters").refine(noControlCharacters, "contains control characters");

export interface SendWorkflowEmailInput {
  /** The contact is read when the mail goes, so that an unsubscribe up to that moment counts. */
  contactId: string;
  template: EmailTemplate;
  variables: EmailVariables;
  idempotencyKey: string;
  /** utm_campaign of every link, and part of the e-mail's id in events. */
  workflowId: string;
  /** Epoch ms. */
  now: number;
}

export interface EmailDependencies {
  contacts: Pick<StoreData, "getContactProfile">;
  mailer: Mailer;
  sendLog: SendLog;
  settings: EmailSettings;
  /** After this long a claim without a message id is taken as its attempt's death; default STALE_CLAIM_MS. */
  staleClaimMs?: number;
}

export type SendOutcome =
  | { outcome: "sent"; messageId: string }
  | { outcome: "already-sent"; messageId: string; sentAt: string }
  /** Not to be mailed now (mailPermission): unsubscribed, suppressed, never subscribed; the reason in words. */
  | { outcome: "skipped-unsubscribed"; subscription: SubscriptionStatus; reason: string }
  | { outcome: "skipped-no-email" };

/**
 * A Lambda runs at most 15 minutes, so a claim older than that belongs to an attempt that is dead
 * whatever the sending function's timeout. A Step Functions retry of `RetryableSendError` should
 * keep trying past it (e.g. 20 s, backoff 2, 7 attempts ≈ 42 minutes).
 */
export const STALE_CLAIM_MS = 15 * 60_000;

/** A send request with a bad field: a bug in the caller, never worth a retry. */
export class InvalidEmailRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidEmailRequest";
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, field: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidEmailRequest(parsed.error.issues.map((i) => `${[field, ...i.path].join(".")}: ${i.message}`).join("; "));
  return parsed.data;
}

/** A formatter costs about a millisecond to make, far more than a date to format: one per locale and time zone. */
const longDates = new Map<string, Intl.DateTimeFormat>();
function longDate(locale: string | undefined, timeZone: string | undefined): Intl.DateTimeFormat {
  const key = `${locale ?? ""}|${timeZone ?? ""}`;
  let format = longDates.get(key);
  if (!format) longDates.set(key, (format = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone })));
  return format;
}

/** "Hello there" to a contact without a first name (the template's fallback), the coupon's date in words. */
export function templateValues(profile: Pick<ContactProfile, "contactId" | "firstName">, variables: EmailVariables, template: EmailTemplate, settings: EmailSettings, now: number): TemplateValues {
  const values: TemplateValues = {
    storeName: settings.storeName,
    storeUrl: settings.storeUrl,
    unsubscribeUrl: unsubscribeUrl(profile.contactId, settings, now),
  };
  if (profile.firstName !== undefined) values.firstName = profile.firstName;
  if (variables.couponCode !== undefined) {
    values.couponCode = variables.couponCode;
    values.couponUrl = settings.couponUrl?.replaceAll("{code}", encodeURIComponent(variables.couponCode)) ?? settings.storeUrl;
  }
  if (variables.couponExpiresAt !== undefined) {
    values.couponExpiry = longDate(template.locale, settings.timeZone).format(new Date(variables.couponExpiresAt));
  }
  return values;
}

/** The signed one-click unsubscribe URL (the token is what the route verifies). */
export function unsubscribeUrl(contactId: string, settings: EmailSettings, now: number): string {
  const url = new URL(settings.unsubscribeUrl);
  url.searchParams.set("token", signUnsubscribeToken(contactId, now, settings.unsubscribeSecret));
  return url.toString();
}

/**
 * RFC 8058 one-click unsubscribe: the https URL the mail client POSTs `List-Unsubscribe=One-Click`
 * to, plus a mailto for clients that only do mail (RFC 2369) when the store has such an address.
 */
export function listUnsubscribeHeaders(contactId: string, settings: EmailSettings, now: number): MessageHeader[] {
  const url = unsubscribeUrl(contactId, settings, now);
  const targets = [`<${url}>`];
  if (settings.unsubscribeMailto) {
    const token = new URL(url).searchParams.get("token")!;
    targets.push(`<mailto:${settings.unsubscribeMailto}?subject=${encodeURIComponent(`unsubscribe ${token}`)}>`);
  }
  return [
    { name: "List-Unsubscribe", value: targets.join(", ") },
    { name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click" },
  ];
}

/** The mail for one contact, rendered and tagged, without sending it. Throws MissingVariableError for a hole. */
export function composeWorkflowEmail(
  input: Pick<SendWorkflowEmailInput, "template" | "variables" | "workflowId" | "now">,
  profile: Pick<ContactProfile, "contactId" | "firstName"> & { email: string },
  settings: EmailSettings,
): OutgoingEmail {
  const { template, workflowId, now } = input;
  const rendered = renderTemplate(template, templateValues(profile, input.variables, template, settings, now));
  const tagged = tagLinks(rendered, { source: settings.utmSource ?? slug(settings.storeName), medium: "email", campaign: workflowId });
  return {
    from: settings.from,
    to: profile.email,
    ...(settings.replyTo !== undefined && { replyTo: settings.replyTo }),
    ...tagged,
    headers: template.type === "newsletter" ? listUnsubscribeHeaders(profile.contactId, settings, now) : [],
    tags: mailTags(profile.contactId, emailId(workflowId, template)),
  };
}

/** How events name this e-mail: the workflow and the template. */
export const emailId = (workflowId: string, template: EmailTemplate) => `${workflowId}/${template.id}`;

/**
 * Sends a workflow's e-mail to one contact, at most once per idempotency key however often the step
 * is retried:
 *
 * 1. claim the send record (a conditional put); a completed record answers "already-sent" with the
 *    earlier message id, a live claim of another attempt throws RetryableSendError("SendInProgress");
 * 2. read the contact: no address or not subscribed (newsletter) → release the claim and skip;
 * 3. render (a missing variable throws, and the claim is released), send, record the message id.
 *
 * A crash between a successful SES call and step 3's record leaves a claim without a message id.
 * Nothing can tell whether that mail left (SES SendEmail takes no idempotency token), so the choice
 * is: at least once. Once the claim is older than `staleClaimMs` (longer than any Lambda runs) a
 * retry takes it over and sends; the contact may get the mail twice in that rare case, rather than a
 * coupon never arriving. Failures SES answered (throttling, rejection) release the claim, since
 * nothing left; failures without an answer (timeouts) keep it until it is stale.
 */
export async function sendWorkflowEmail(input: SendWorkflowEmailInput, deps: EmailDependencies): Promise<SendOutcome> {
  const contactId = parse(ContactId, input.contactId, "contactId");
  const key: SendKey = { contactId, idempotencyKey: parse(IdempotencyKey, input.idempotencyKey, "idempotencyKey") };
  const request = { ...input, contactId, workflowId: parse(WorkflowId, input.workflowId, "workflowId"), variables: parse(EmailVariables, input.variables, "variables") };
  const { now, template } = request;
  const staleClaimMs = deps.staleClaimMs ?? STALE_CLAIM_MS;

  const claim = await deps.sendLog.claim(key, { now, staleBefore: now - staleClaimMs, templateId: template.id });
  if (claim.status === "sent") return { outcome: "already-sent", messageId: claim.messageId, sentAt: claim.sentAt };
  if (claim.status === "in-progress") {
    throw new RetryableSendError("SendInProgress", `another attempt claimed ${key.idempotencyKey} for contact ${contactId} at ${claim.claimedAt} and has not finished; retry after ${staleClaimMs / 60_000} minutes`, "unknown");
  }
  // A release that fails leaves a claim that goes stale; the error worth reporting is the first one.
  const release = () => deps.sendLog.release(key, { attempt: claim.attempt }).catch(() => undefined);

  let email: OutgoingEmail;
  try {
    const profile = await deps.contacts.getContactProfile(contactId);
    if (profile?.email === undefined) {
      await release();
      return { outcome: "skipped-no-email" };
    }
    // The one decision on consent, taken now, when the mail goes: an opt-out up to this moment counts.
    const permission = mailPermission(profile);
    if (template.type === "newsletter" && !permission.mayMail) {
      await release();
      return { outcome: "skipped-unsubscribed", subscription: permission.subscription, reason: permission.reason };
    }
    email = composeWorkflowEmail(request, { contactId, firstName: profile.firstName, email: profile.email }, deps.settings);
  } catch (error) {
    await release();
    throw error;
  }

  let messageId: string;
  try {
    ({ messageId } = await deps.mailer.send(email));
  } catch (error) {
    // An error the mailer did not classify could have come after SES took the mail.
    const maybeSent = error instanceof PermanentSendError ? false : error instanceof RetryableSendError ? error.delivery === "unknown" : true;
    if (!maybeSent) await release();
    throw error;
  }
  await deps.sendLog.complete(key, { attempt: claim.attempt, messageId, now });
  return { outcome: "sent", messageId };
}
