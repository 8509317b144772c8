import { createHash } from "node:crypto";

/**
 * A contact's newsletter subscription as a state with its history, and the rules that move it. One
 * pure function (`applySubscriptionEvent`) takes every change: a profile update from the store's
 * platform (PUT /contacts/{id}, the contacts CSV, the S3 import), an unsubscribe (footer link,
 * one-click, API), an "I changed my mind", a complaint, a hard bounce, an erased address. One function
 * (`mailPermission`) answers "may we mail this contact now?", and every send asks it when it sends.
 *
 * The state keeps the facts, each with its time: the latest consent, the latest opt-out and how it
 * was given, the latest complaint, the latest hard bounce and the address it bounced on. The status is
 * derived from them, so an old statement can never undo a newer one, whatever order they arrive in:
 *
 * | fact                      | holds until                                      | status while it holds |
 * |---------------------------|--------------------------------------------------|-----------------------|
 * | hard bounce on an address | the contact has another address                  | suppressed            |
 * | complaint                 | a consent given after the complaint              | suppressed            |
 * | opt-out (any channel)     | a consent given after the opt-out                | unsubscribed          |
 * | consent                   | a later opt-out or complaint; "never_subscribed" | subscribed            |
 */

/** The status the store and its exports show; "suppressed" is ours only (a bounce or a complaint), never sent to us. */
export const subscriptionStatuses = ["subscribed", "unsubscribed", "never_subscribed", "suppressed"] as const;
export type SubscriptionStatus = (typeof subscriptionStatuses)[number];

/** What the store's platform may say of a contact (PUT /contacts/{id}, a contacts CSV row). */
export const statedSubscriptions = ["subscribed", "unsubscribed", "never_subscribed"] as const;
export type StatedSubscription = (typeof statedSubscriptions)[number];

/**
 * How a contact opted out: the link in a mail's footer (its page's button), the mail client's
 * one-click unsubscribe (RFC 8058), the API (PUT /contacts/{id}), a contacts import from the store's
 * platform (CSV or S3), or erasure of a former contact with the same address.
 */
export const optOutChannels = ["link", "one-click", "api", "import", "erasure"] as const;
export type OptOutChannel = (typeof optOutChannels)[number];

/** Where a consent came from: the API, a contacts import, or "I changed my mind" on the unsubscribe page. */
export const consentChannels = ["api", "import", "link"] as const;
export type ConsentChannel = (typeof consentChannels)[number];

/** Words for an opt-out's channel, as the history, the reasons and the README say them. */
export const channelWords: Record<OptOutChannel, string> = {
  link: "the unsubscribe link in a mail",
  "one-click": "one-click unsubscribe in the mail client",
  api: "the API",
  import: "a contacts import from the store's platform",
  erasure: "erasure of a former contact's data on request",
};

/** One entry of the history: what happened, when, how, and the status after it. */
export interface SubscriptionChange {
  /** When it happened: the consent's, the opt-out's, the bounce's own time. */
  at: string;
  /** When this system recorded it. */
  recordedAt: string;
  event: "consent" | "opt-out" | "no-consent" | "complaint" | "bounce";
  /** How it came: an opt-out or consent channel, or "feedback" (a bounce or complaint the mail provider or the platform reported). */
  via?: OptOutChannel | ConsentChannel | "feedback";
  /** The status after it. */
  subscription: SubscriptionStatus;
  /** Why the status is not what the event asked for, in words. */
  note?: string;
}

/** The state as stored with the profile (flat attributes of the PROFILE item). */
export interface SubscriptionState {
  subscription: SubscriptionStatus;
  /** The latest consent we hold. */
  consentAt?: string;
  /** The latest opt-out, and how it was given. */
  optedOutAt?: string;
  optedOutVia?: OptOutChannel;
  /** The latest complaint about a mail we sent. */
  complainedAt?: string;
  /** The latest hard bounce, and the address it bounced on (as addressKey, not the address). */
  bouncedAt?: string;
  bouncedAddress?: string;
  /** Newest last, at most HISTORY_LIMIT entries; the facts above never depend on it. */
  subscriptionHistory?: SubscriptionChange[];
}

/** A contact as the rules need it: the state and the address mail would go to. */
export interface SubscriberState extends SubscriptionState {
  email?: string;
}

/**
 * Entries kept: the PROFILE item also holds the order summary, and an item has at most 400 KB. An
 * entry is about 150 bytes, so the history costs at most ~5 KB; the facts the rules read are kept
 * apart from it and are never trimmed.
 */
export const HISTORY_LIMIT = 30;

/** An address's SHA-256 (trimmed, lower case): the bounce record and the erasure suppression never hold the address itself. */
export function addressKey(email: string | undefined): string | undefined {
  return email === undefined ? undefined : createHash("sha256").update(email.trim().toLowerCase()).digest("hex");
}

/** Everything that can change a subscription. Times are ISO 8601. */
export type SubscriptionEvent =
  /** A profile from the store's platform: what it says of the subscription, and the address. */
  | { type: "update"; via: "api" | "import"; subscription: StatedSubscription; consentAt?: string; optedOutAt?: string; email?: string }
  | { type: "opt-out"; via: OptOutChannel; at: string }
  /** A consent given to us directly ("I changed my mind" on the unsubscribe page). */
  | { type: "consent"; via: ConsentChannel; at: string }
  | { type: "complaint"; at: string }
  /** A hard bounce of a mail to the contact's current address. */
  | { type: "bounce"; at: string };

export interface SubscriptionResult {
  state: SubscriberState;
  /** Said to whoever sent the event when its wish was not followed, e.g. `subscription kept "unsubscribed": …`. */
  notes: string[];
  /** Whether anything stored differs (a repeated event changes nothing). */
  changed: boolean;
}

const time = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
const later = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined ? a : Date.parse(b) > Date.parse(a) ? b : a);

/** A day as the notes say it; the whole time when both times of a sentence fall on one day. */
function day(iso: string, other?: string): string {
  const text = new Date(iso).toISOString();
  return other !== undefined && new Date(other).toISOString().slice(0, 10) === text.slice(0, 10) ? text.replace(".000Z", "Z") : text.slice(0, 10);
}

/** Why a contact is not subscribed. */
type Blocker = { kind: "bounce"; at: string } | { kind: "complaint"; at: string } | { kind: "opt-out"; at: string; via?: OptOutChannel } | { kind: "no-consent" };

/** The status the facts give, and what holds the contact back. A bounce outranks everything, then a complaint, then an opt-out. */
export function deriveSubscription(state: Omit<SubscriberState, "subscription" | "subscriptionHistory">): { subscription: SubscriptionStatus; blocker?: Blocker } {
  const consent = time(state.consentAt);
  const after = (at: string) => consent !== undefined && consent > Date.parse(at);
  if (state.bouncedAt !== undefined && state.bouncedAddress === addressKey(state.email)) return { subscription: "suppressed", blocker: { kind: "bounce", at: state.bouncedAt } };
  if (state.complainedAt !== undefined && !after(state.complainedAt)) return { subscription: "suppressed", blocker: { kind: "complaint", at: state.complainedAt } };
  if (state.optedOutAt !== undefined && !after(state.optedOutAt)) {
    return { subscription: "unsubscribed", blocker: { kind: "opt-out", at: state.optedOutAt, ...(state.optedOutVia && { via: state.optedOutVia }) } };
  }
  if (consent !== undefined) return { subscription: "subscribed" };
  return { subscription: "never_subscribed", blocker: { kind: "no-consent" } };
}

/** The sentence for a consent that did not subscribe the contact (`consentAt`: the consent asked for). */
function keptNote(status: SubscriptionStatus, blocker: Exclude<Blocker, { kind: "no-consent" }>, consentAt: string | undefined): string {
  const kept = `subscription kept "${status}"`;
  const thisConsent = (at: string) => (consentAt !== undefined ? `, after this consent of ${day(consentAt, at)}` : "");
  switch (blocker.kind) {
    case "bounce":
      return `${kept}: mail to this address bounced on ${day(blocker.at)}; a new e-mail address clears it`;
    case "complaint":
      return `${kept}: the contact complained about a mail on ${day(blocker.at, consentAt)}${thisConsent(blocker.at)}`;
    case "opt-out":
      return blocker.via === "erasure"
        ? `${kept}: this address was erased on request on ${day(blocker.at, consentAt)}${thisConsent(blocker.at)}; only a newer consent subscribes it`
        : `${kept}: the contact opted out on ${day(blocker.at, consentAt)}${thisConsent(blocker.at)}`;
  }
}

/**
 * Applies one event to a contact's subscription: the one place the rules live.
 *
 * - A consent subscribes only if it is newer than the latest opt-out and the latest complaint, and
 *   the address has not hard-bounced; otherwise the status is kept and a note says why, in words.
 * - An opt-out unsubscribes. The platform's "unsubscribed" without a date unsubscribes from now on
 *   (dated by the older API's consentAt when no consent we hold is newer); with optedOutAt, a consent
 *   we hold that is newer outranks it and a note says so.
 * - A complaint suppresses until a newer consent; a hard bounce suppresses the address it bounced
 *   on, and a new address clears it.
 * - The platform saying "never_subscribed" withdraws the consent we hold from it (it is the store's
 *   own record); opt-outs, complaints and bounces stay.
 * - Facts only move forward: of two consents (or opt-outs) the later is kept, so re-sending anything
 *   old changes nothing, and adds nothing to the history.
 *
 * `now` is when the event is recorded.
 */
export function applySubscriptionEvent(current: SubscriberState | undefined, event: SubscriptionEvent, now: number): SubscriptionResult {
  const before = readSubscriptionState(current);
  const facts: SubscriberState = { ...before };
  const recordedAt = new Date(now).toISOString();
  let entry: Omit<SubscriptionChange, "recordedAt" | "subscription">;
  /** The consent this event asked for: a note is owed when it does not subscribe. */
  let wantsConsent: { at?: string } | undefined;
  /** The dated opt-out this event asked for: a note is owed when a newer consent outranks it. */
  let wantsOptOut: string | undefined;

  switch (event.type) {
    case "update": {
      if (event.email !== undefined || current !== undefined) setOrDelete(facts, "email", event.email);
      if (event.subscription === "subscribed") {
        facts.consentAt = later(facts.consentAt, event.consentAt);
        wantsConsent = event.consentAt !== undefined ? { at: event.consentAt } : {};
      }
      if (event.subscription === "never_subscribed") delete facts.consentAt;
      if (event.optedOutAt !== undefined) {
        optOut(facts, event.optedOutAt, event.via);
        if (event.subscription === "unsubscribed") {
          wantsOptOut = event.optedOutAt;
          facts.consentAt = later(facts.consentAt, event.consentAt);
        }
      } else if (event.subscription === "unsubscribed" && (facts.optedOutAt === undefined || deriveSubscription(facts).subscription === "subscribed")) {
        const held = time(facts.consentAt);
        const dated = event.consentAt !== undefined && (held === undefined || Date.parse(event.consentAt) >= held);
        optOut(facts, dated ? event.consentAt! : recordedAt, event.via);
      }
      const at = event.subscription === "subscribed" ? event.consentAt : event.subscription === "unsubscribed" ? (event.optedOutAt ?? facts.optedOutAt) : undefined;
      entry = { at: at ?? recordedAt, event: event.subscription === "subscribed" ? "consent" : event.subscription === "unsubscribed" ? "opt-out" : "no-consent", via: event.via };
      break;
    }
    case "opt-out":
      optOut(facts, event.at, event.via);
      entry = { at: event.at, event: "opt-out", via: event.via };
      break;
    case "consent":
      facts.consentAt = later(facts.consentAt, event.at);
      wantsConsent = { at: event.at };
      entry = { at: event.at, event: "consent", via: event.via };
      break;
    case "complaint":
      facts.complainedAt = later(facts.complainedAt, event.at);
      entry = { at: event.at, event: "complaint", via: "feedback" };
      break;
    case "bounce":
      // An older bounce of the same address says nothing new.
      if (facts.bouncedAt === undefined || facts.bouncedAddress !== addressKey(facts.email) || Date.parse(event.at) > Date.parse(facts.bouncedAt)) {
        facts.bouncedAt = event.at;
        setOrDelete(facts, "bouncedAddress", addressKey(facts.email));
      }
      entry = { at: event.at, event: "bounce", via: "feedback" };
      break;
  }

  const { subscription, blocker } = deriveSubscription(facts);
  facts.subscription = subscription;
  const notes: string[] = [];
  if (wantsConsent && blocker && blocker.kind !== "no-consent") notes.push(keptNote(subscription, blocker, wantsConsent.at));
  if (wantsOptOut !== undefined && subscription === "subscribed") {
    notes.push(`subscription kept "subscribed": the contact consented again on ${day(facts.consentAt!, wantsOptOut)}, after this opt-out of ${day(wantsOptOut, facts.consentAt)}`);
  }
  if (event.type === "update" && before.email !== facts.email && before.subscription === "suppressed" && before.bouncedAt !== undefined && blocker?.kind !== "bounce") {
    notes.push(`a new e-mail address: the bounce of ${day(before.bouncedAt)} no longer holds`);
  }

  const factsChanged = FACTS.some((field) => before[field] !== facts[field]);
  const last = before.subscriptionHistory?.at(-1);
  const change: SubscriptionChange = { ...entry, recordedAt, subscription, ...(notes.length > 0 && { note: notes.join("; ") }) };
  // A repeated event (the platform's routine re-send) adds nothing: the same facts, or the same note again.
  const repeated = !factsChanged && (notes.length === 0 || (last?.note === change.note && last?.subscription === subscription));
  if (!repeated) facts.subscriptionHistory = [...(before.subscriptionHistory ?? []), change].slice(-HISTORY_LIMIT);
  return { state: facts, notes, changed: factsChanged || !repeated };
}

/** The attributes the rules read, compared to tell a change from a repeat. */
const FACTS = ["subscription", "email", "consentAt", "optedOutAt", "optedOutVia", "complainedAt", "bouncedAt", "bouncedAddress"] as const;

function optOut(facts: SubscriberState, at: string, via: OptOutChannel): void {
  if (facts.optedOutAt !== undefined && Date.parse(facts.optedOutAt) >= Date.parse(at)) return;
  facts.optedOutAt = at;
  facts.optedOutVia = via;
}

function setOrDelete<K extends keyof SubscriberState>(facts: SubscriberState, key: K, value: SubscriberState[K] | undefined): void {
  if (value === undefined) delete facts[key];
  else facts[key] = value;
}

/**
 * The state of a stored contact, or of a new one. Profiles written before the state had its own
 * fields kept an opt-out as `subscription: "unsubscribed"` with its time in `consentAt`: that is read
 * as the opt-out it was, so no stored opt-out is lost.
 */
export function readSubscriptionState(stored: (Partial<SubscriberState> & { updatedAt?: string }) | undefined): SubscriberState {
  if (stored === undefined) return { subscription: "never_subscribed" };
  const state: SubscriberState = { subscription: stored.subscription ?? "never_subscribed" };
  for (const key of ["email", "consentAt", "optedOutAt", "optedOutVia", "complainedAt", "bouncedAt", "bouncedAddress"] as const) {
    if (stored[key] !== undefined) (state as unknown as Record<string, unknown>)[key] = stored[key];
  }
  if (stored.subscriptionHistory !== undefined) state.subscriptionHistory = stored.subscriptionHistory;
  const legacy = stored.subscriptionHistory === undefined && stored.optedOutAt === undefined && stored.complainedAt === undefined && stored.bouncedAt === undefined;
  if (legacy && state.subscription !== "subscribed" && state.subscription !== "never_subscribed") {
    const at = stored.consentAt ?? stored.updatedAt;
    delete state.consentAt;
    if (at !== undefined) state.optedOutAt = at;
    state.subscription = "unsubscribed";
  }
  return state;
}

/** The answer to "may we mail this contact now?", with the reason in words when not. */
export type MailPermission = { mayMail: true } | { mayMail: false; subscription: SubscriptionStatus; reason: string };

/**
 * The one place that decides whether a contact may be mailed: it has an address, and the facts give
 * "subscribed" for that address now. The stored status must say so too, so that a profile written by
 * anything else errs on the side of not mailing. Every send asks this at the moment it sends.
 */
export function mailPermission(contact: (Partial<SubscriberState> & { updatedAt?: string }) | undefined): MailPermission {
  const state = readSubscriptionState(contact);
  const { subscription, blocker } = deriveSubscription(state);
  if (subscription === "subscribed" && state.subscription !== "subscribed") return { mayMail: false, subscription: state.subscription, reason: `the stored subscription is "${state.subscription}"` };
  if (subscription !== "subscribed") return { mayMail: false, subscription, reason: blockerWords(blocker, state.optedOutVia) };
  if (state.email === undefined) return { mayMail: false, subscription, reason: "the contact has no e-mail address" };
  return { mayMail: true };
}

function blockerWords(blocker: Blocker | undefined, via: OptOutChannel | undefined): string {
  switch (blocker?.kind) {
    case "bounce":
      return `mail to the contact's address bounced on ${day(blocker.at)}`;
    case "complaint":
      return `the contact complained about a mail on ${day(blocker.at)}`;
    case "opt-out":
      return `the contact opted out on ${day(blocker.at)}${via ? ` (${channelWords[via]})` : ""}`;
    default:
      return "the contact never subscribed";
  }
}
