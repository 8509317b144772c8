import { describe, expect, it } from "vitest";
import { contactInput } from "../../functions/domain/store/contact.js";
import {
  addressKey,
  applySubscriptionEvent,
  HISTORY_LIMIT,
  mailPermission,
  readSubscriptionState,
  type SubscriberState,
  type SubscriptionEvent,
} from "../../functions/domain/store/subscription.js";

const NOW = Date.parse("2026-03-10T12:00:00Z");
const CONSENT = "2024-05-01T09:00:00Z";
const OPTED_OUT = "2026-03-02T08:30:00Z";

/** Applies events in turn, each recorded an hour after the one before; returns the last result. */
function apply(events: SubscriptionEvent[], start?: SubscriberState) {
  let state = start;
  let result: ReturnType<typeof applySubscriptionEvent> | undefined;
  events.forEach((event, i) => {
    result = applySubscriptionEvent(state, event, NOW + i * 3_600_000);
    state = result.state;
  });
  return result!;
}

const subscribed = (consentAt = CONSENT, email = "ann@example.com"): SubscriptionEvent => ({ type: "update", via: "api", subscription: "subscribed", consentAt, email });

describe("a consent against the contact's latest opt-out", () => {
  it.each([
    ["the footer link", "link"],
    ["one-click", "one-click"],
    ["the API", "api"],
  ] as const)("an older consent does not re-subscribe after an unsubscribe by %s, and says so in words", (_, via) => {
    // Prepare
    const optedOut = apply([subscribed(), { type: "opt-out", via, at: OPTED_OUT }]).state;
    // Act: the platform's routine PUT with the same body
    const { state, notes } = applySubscriptionEvent(optedOut, subscribed(), NOW);
    // Assess
    expect(state.subscription).toBe("unsubscribed");
    expect(state).toMatchObject({ optedOutAt: OPTED_OUT, optedOutVia: via, consentAt: CONSENT });
    expect(notes).toEqual(['subscription kept "unsubscribed": the contact opted out on 2026-03-02, after this consent of 2024-05-01']);
    expect(mailPermission(state)).toMatchObject({ mayMail: false, subscription: "unsubscribed" });
  });

  it("a consent at the very time of the opt-out is not newer: the opt-out holds", () => {
    // Prepare
    const optedOut = apply([subscribed(), { type: "opt-out", via: "link", at: OPTED_OUT }]).state;
    // Act
    const { state, notes } = applySubscriptionEvent(optedOut, subscribed(OPTED_OUT), NOW);
    // Assess: same day, so the note gives the times
    expect(state.subscription).toBe("unsubscribed");
    expect(notes).toEqual(['subscription kept "unsubscribed": the contact opted out on 2026-03-02T08:30:00Z, after this consent of 2026-03-02T08:30:00Z']);
  });

  it("a consent newer than the opt-out re-subscribes (the person opted in again at checkout)", () => {
    // Prepare
    const optedOut = apply([subscribed(), { type: "opt-out", via: "one-click", at: OPTED_OUT }]).state;
    // Act
    const { state, notes } = applySubscriptionEvent(optedOut, subscribed("2026-03-05T10:00:00Z"), NOW);
    // Assess
    expect(state).toMatchObject({ subscription: "subscribed", consentAt: "2026-03-05T10:00:00Z", optedOutAt: OPTED_OUT });
    expect(notes).toEqual([]);
    expect(mailPermission(state)).toEqual({ mayMail: true });
  });

  it("the order of arrival does not matter: a newer consent sent before an older opt-out still wins", () => {
    // Prepare / Act: the opt-out (dated, from the platform) arrives after the newer consent
    const { state, notes } = apply([subscribed("2026-03-05T10:00:00Z"), { type: "update", via: "import", subscription: "unsubscribed", optedOutAt: OPTED_OUT, email: "ann@example.com" }]);
    // Assess
    expect(state.subscription).toBe("subscribed");
    expect(notes).toEqual(['subscription kept "subscribed": the contact consented again on 2026-03-05, after this opt-out of 2026-03-02']);
  });

  it("an old consent stays out however often it is re-sent, and the history records the refusal once", () => {
    // Prepare
    const optedOut = apply([subscribed(), { type: "opt-out", via: "link", at: OPTED_OUT }]).state;
    // Act
    const first = applySubscriptionEvent(optedOut, subscribed(), NOW);
    const again = applySubscriptionEvent(first.state, subscribed(), NOW + 86_400_000);
    // Assess
    expect(first.changed).toBe(true);
    expect(again.changed).toBe(false);
    expect(again.notes).toHaveLength(1); // the response says so every time
    expect(again.state.subscriptionHistory!.map((h) => h.event)).toEqual(["consent", "opt-out", "consent"]);
    expect(again.state.subscriptionHistory!.at(-1)).toMatchObject({ subscription: "unsubscribed", note: expect.stringContaining('kept "unsubscribed"') });
  });
});

describe("the platform's own statements", () => {
  it('"unsubscribed" without a date unsubscribes from now on, and a re-send changes nothing', () => {
    // Prepare
    const start = apply([subscribed()]).state;
    // Act
    const first = applySubscriptionEvent(start, { type: "update", via: "import", subscription: "unsubscribed", email: "ann@example.com" }, NOW);
    const again = applySubscriptionEvent(first.state, { type: "update", via: "import", subscription: "unsubscribed", email: "ann@example.com" }, NOW + 86_400_000);
    // Assess
    expect(first.state).toMatchObject({ subscription: "unsubscribed", optedOutAt: new Date(NOW).toISOString(), optedOutVia: "import" });
    expect(again.changed).toBe(false);
    expect(again.state.optedOutAt).toBe(new Date(NOW).toISOString());
  });

  it('"unsubscribed" dated by the older API\'s consentAt keeps that date, and an equal consent does not undo it', () => {
    // Prepare / Act
    const { state } = apply([subscribed(), { type: "update", via: "api", subscription: "unsubscribed", consentAt: OPTED_OUT, email: "ann@example.com" }, subscribed()]);
    // Assess
    expect(state).toMatchObject({ subscription: "unsubscribed", optedOutAt: OPTED_OUT, optedOutVia: "api" });
  });

  it('"unsubscribed" whose date is older than the consent we hold still unsubscribes, from now', () => {
    // Prepare: the contact re-subscribed on the page after the platform's records
    const start = apply([subscribed(), { type: "opt-out", via: "link", at: OPTED_OUT }, { type: "consent", via: "link", at: "2026-03-03T00:00:00Z" }]).state;
    expect(start.subscription).toBe("subscribed");
    // Act: the platform says unsubscribed with the original consent time
    const { state } = applySubscriptionEvent(start, { type: "update", via: "api", subscription: "unsubscribed", consentAt: CONSENT, email: "ann@example.com" }, NOW);
    // Assess
    expect(state).toMatchObject({ subscription: "unsubscribed", optedOutAt: new Date(NOW).toISOString() });
  });

  it('"never_subscribed" withdraws the consent held, but not an opt-out', () => {
    // Prepare / Act
    const withdrawn = apply([subscribed(), { type: "update", via: "api", subscription: "never_subscribed", email: "ann@example.com" }]).state;
    const optedOut = apply([subscribed(), { type: "opt-out", via: "link", at: OPTED_OUT }, { type: "update", via: "api", subscription: "never_subscribed", email: "ann@example.com" }]).state;
    // Assess
    expect(withdrawn.subscription).toBe("never_subscribed");
    expect(withdrawn.consentAt).toBeUndefined();
    expect(optedOut).toMatchObject({ subscription: "unsubscribed", optedOutAt: OPTED_OUT });
  });

  it("keeps the later of two consents", () => {
    // Prepare / Act
    const { state } = apply([subscribed("2025-01-01T00:00:00Z"), subscribed(CONSENT)]);
    // Assess
    expect(state.consentAt).toBe("2025-01-01T00:00:00Z");
  });
});

describe("complaints and bounces", () => {
  it("a complaint suppresses until a consent newer than the complaint", () => {
    // Prepare
    const complained = apply([subscribed(), { type: "complaint", at: OPTED_OUT }]).state;
    // Act
    const older = applySubscriptionEvent(complained, subscribed(), NOW);
    const newer = applySubscriptionEvent(older.state, subscribed("2026-03-04T00:00:00Z"), NOW + 1000);
    // Assess
    expect(complained.subscription).toBe("suppressed");
    expect(older.state.subscription).toBe("suppressed");
    expect(older.notes).toEqual(['subscription kept "suppressed": the contact complained about a mail on 2026-03-02, after this consent of 2024-05-01']);
    expect(newer.state.subscription).toBe("subscribed");
  });

  it("a complaint outranks an opt-out: a consent newer than the opt-out but older than the complaint stays out", () => {
    // Prepare / Act
    const { state, notes } = apply([subscribed(), { type: "opt-out", via: "link", at: "2026-01-01T00:00:00Z" }, { type: "complaint", at: OPTED_OUT }, subscribed("2026-02-01T00:00:00Z")]);
    // Assess
    expect(state.subscription).toBe("suppressed");
    expect(notes[0]).toContain("complained about a mail on 2026-03-02");
  });

  it("a hard bounce suppresses that address, whatever the consent; a new address clears it; the old one brings it back", () => {
    // Prepare
    const bounced = apply([subscribed(), { type: "bounce", at: OPTED_OUT }]).state;
    // Act
    const newerConsent = applySubscriptionEvent(bounced, subscribed("2026-03-05T00:00:00Z"), NOW);
    const newAddress = applySubscriptionEvent(newerConsent.state, subscribed("2026-03-05T00:00:00Z", "ann@new.example"), NOW + 1000);
    const oldAddress = applySubscriptionEvent(newAddress.state, subscribed("2026-03-05T00:00:00Z", "ANN@example.com "), NOW + 2000);
    // Assess
    expect(bounced).toMatchObject({ subscription: "suppressed", bouncedAt: OPTED_OUT, bouncedAddress: addressKey("ann@example.com") });
    expect(newerConsent.state.subscription).toBe("suppressed");
    expect(newerConsent.notes).toEqual(['subscription kept "suppressed": mail to this address bounced on 2026-03-02; a new e-mail address clears it']);
    expect(newAddress.state.subscription).toBe("subscribed");
    expect(newAddress.notes).toEqual(["a new e-mail address: the bounce of 2026-03-02 no longer holds"]);
    expect(oldAddress.state.subscription).toBe("suppressed");
  });

  it("a redelivered bounce or complaint changes nothing", () => {
    // Prepare
    const bounced = apply([subscribed(), { type: "bounce", at: OPTED_OUT }, { type: "complaint", at: OPTED_OUT }]).state;
    // Act
    const again = apply([{ type: "bounce", at: OPTED_OUT }, { type: "complaint", at: OPTED_OUT }], bounced);
    // Assess
    expect(again.changed).toBe(false);
    expect(again.state.subscriptionHistory).toHaveLength(bounced.subscriptionHistory!.length);
  });
});

describe("erasure, the undo, the history", () => {
  it("an erased address stays out for a consent older than the erasure", () => {
    // Prepare: the adapter applies the erasure suppression it found for the address first
    const suppressed = apply([{ type: "opt-out", via: "erasure", at: OPTED_OUT }]).state;
    // Act
    const older = applySubscriptionEvent(suppressed, subscribed(), NOW);
    const newer = applySubscriptionEvent(older.state, subscribed("2026-03-09T00:00:00Z"), NOW + 1000);
    // Assess
    expect(older.state.subscription).toBe("unsubscribed");
    expect(older.notes).toEqual(['subscription kept "unsubscribed": this address was erased on request on 2026-03-02, after this consent of 2024-05-01; only a newer consent subscribes it']);
    expect(newer.state.subscription).toBe("subscribed");
  });

  it('"I changed my mind" is a new consent: it re-subscribes after the opt-out it follows', () => {
    // Prepare
    const optedOut = apply([subscribed(), { type: "opt-out", via: "link", at: new Date(NOW).toISOString() }]).state;
    // Act
    const { state } = applySubscriptionEvent(optedOut, { type: "consent", via: "link", at: new Date(NOW + 60_000).toISOString() }, NOW + 60_000);
    // Assess
    expect(state).toMatchObject({ subscription: "subscribed", consentAt: new Date(NOW + 60_000).toISOString() });
    expect(state.subscriptionHistory!.map((h) => `${h.event}/${h.via}/${h.subscription}`)).toEqual(["consent/api/subscribed", "opt-out/link/unsubscribed", "consent/link/subscribed"]);
  });

  it(`keeps at most ${HISTORY_LIMIT} entries, and the facts do not depend on them`, () => {
    // Prepare / Act: many opt-outs and consents, alternating
    const events: SubscriptionEvent[] = [subscribed()];
    for (let i = 1; i <= 40; i++) {
      const at = new Date(Date.parse("2025-01-01T00:00:00Z") + i * 86_400_000).toISOString();
      events.push(i % 2 ? { type: "opt-out", via: "link", at } : { type: "consent", via: "link", at });
    }
    const { state } = apply(events);
    // Assess
    expect(state.subscriptionHistory).toHaveLength(HISTORY_LIMIT);
    expect(state.subscriptionHistory!.at(-1)).toMatchObject({ event: "consent", at: "2025-02-10T00:00:00.000Z" });
    expect(state).toMatchObject({ subscription: "subscribed", consentAt: "2025-02-10T00:00:00.000Z", optedOutAt: "2025-02-09T00:00:00.000Z" });
  });

  it("any order of the same consents and opt-outs gives the same status (latest wins, ties to the opt-out)", () => {
    // Prepare: every permutation of three events
    const events: SubscriptionEvent[] = [subscribed("2025-01-01T00:00:00Z"), { type: "opt-out", via: "link", at: "2025-06-01T00:00:00Z" }, { type: "consent", via: "link", at: "2025-06-01T00:00:00Z" }];
    const permutations = (xs: SubscriptionEvent[]): SubscriptionEvent[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
    // Act
    const statuses = new Set(permutations(events).map((p) => apply(p).state.subscription));
    // Assess
    expect([...statuses]).toEqual(["unsubscribed"]);
  });
});

describe("may we mail this contact now?", () => {
  it("only a subscribed contact with an address", () => {
    // Prepare
    const ok = apply([subscribed()]).state;
    // Act / Assess
    expect(mailPermission(ok)).toEqual({ mayMail: true });
    expect(mailPermission({ ...ok, email: undefined })).toEqual({ mayMail: false, subscription: "subscribed", reason: "the contact has no e-mail address" });
    expect(mailPermission(undefined)).toMatchObject({ mayMail: false, subscription: "never_subscribed" });
    expect(mailPermission(apply([subscribed(), { type: "opt-out", via: "one-click", at: OPTED_OUT }]).state)).toEqual({
      mayMail: false,
      subscription: "unsubscribed",
      reason: "the contact opted out on 2026-03-02 (one-click unsubscribe in the mail client)",
    });
    expect(mailPermission(apply([subscribed(), { type: "bounce", at: OPTED_OUT }]).state)).toMatchObject({ mayMail: false, subscription: "suppressed", reason: expect.stringContaining("bounced") });
  });

  it("errs on the side of not mailing when the stored status and the facts disagree", () => {
    // Prepare: a profile whose status says unsubscribed though its facts would allow mail
    const odd = { ...apply([subscribed()]).state, subscription: "unsubscribed" as const, optedOutAt: "2020-01-01T00:00:00Z" };
    // Act / Assess
    expect(mailPermission(odd).mayMail).toBe(false);
  });

  it("reads a profile stored before the state had its fields: its opt-out time was kept in consentAt", () => {
    // Prepare
    const legacy = { subscription: "unsubscribed" as const, consentAt: OPTED_OUT, email: "ann@example.com", updatedAt: OPTED_OUT };
    // Act
    const state = readSubscriptionState(legacy);
    const older = applySubscriptionEvent(legacy, subscribed(), NOW);
    // Assess
    expect(state).toMatchObject({ subscription: "unsubscribed", optedOutAt: OPTED_OUT });
    expect(state.consentAt).toBeUndefined();
    expect(older.state.subscription).toBe("unsubscribed");
    expect(mailPermission(legacy).mayMail).toBe(false);
  });
});

describe("what the platform may send", () => {
  const schema = contactInput(() => NOW);
  it("refuses a consent or opt-out in the future, naming the field", () => {
    // Act
    const result = schema.safeParse({ subscription: "subscribed", consentAt: "2026-04-01T00:00:00Z", optedOutAt: "2026-05-01T00:00:00Z" });
    // Assess
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual(["consentAt: is in the future", "optedOutAt: is in the future"]);
  });

  it('refuses "unsubscribed" with a consent after its own opt-out', () => {
    // Act
    const result = schema.safeParse({ subscription: "unsubscribed", consentAt: "2026-03-05T00:00:00Z", optedOutAt: OPTED_OUT });
    // Assess
    expect(result.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual(['consentAt: is after optedOutAt, but subscription is "unsubscribed"']);
  });

  it('accepts neither "suppressed" (ours only) nor an unknown status', () => {
    // Act / Assess
    expect(schema.safeParse({ subscription: "suppressed" }).error!.issues[0]!.message).toBe("must be one of subscribed, unsubscribed, never_subscribed");
  });
});
