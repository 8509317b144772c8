import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { hashApiKey, isKnownApiKey } from "../../functions/domain/store/api-keys.js";
import { signUnsubscribeToken, verifyUnsubscribeToken } from "../../functions/domain/store/unsubscribe-token.js";
import { routes, type HttpDependencies } from "../../functions/handlers/http/routes.js";
import { RecordingStore } from "../support/recording-store.js";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const SECRET = "a-test-secret-of-enough-length";

function request(routeKey: string, body: unknown, extra: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return { routeKey, body: typeof body === "string" ? body : JSON.stringify(body), isBase64Encoded: false, headers: {}, ...extra } as APIGatewayProxyEventV2;
}

function setup() {
  const store = new RecordingStore(() => NOW);
  const deps: HttpDependencies = { store, clock: () => NOW, unsubscribeSecret: async () => SECRET };
  const call = async (event: APIGatewayProxyEventV2) => {
    const response = await routes[event.routeKey]!(event, deps);
    return { status: response.statusCode, body: JSON.parse(String(response.body)) as Record<string, unknown> };
  };
  return { store, call };
}

const order = { id: "1001", contactId: "c-1", createdAt: "2024-05-31T10:00:00Z", total: 42.5, currency: "EUR" };

describe("POST /orders", () => {
  it("records an order (201) and answers a re-sent one with 200", async () => {
    // Prepare
    const { call } = setup();
    // Act and assess
    expect(await call(request("POST /orders", order))).toMatchObject({ status: 201, body: { orderId: "1001", outcome: "recorded", total: 42.5, currency: "EUR" } });
    expect((await call(request("POST /orders", order))).status).toBe(200);
  });

  it("takes a negative total as a credit note (a refund or cancellation that nets the contact's revenue)", async () => {
    // Prepare
    const { call } = setup();
    // Act
    const response = await call(request("POST /orders", { ...order, id: "C1001", total: -3 }));
    // Assess
    expect(response).toMatchObject({ status: 201, body: { orderId: "C1001", total: -3 } });
  });

  it("reads a currency code in lower case as the ISO code", async () => {
    // Prepare
    const { call } = setup();
    // Act
    const response = await call(request("POST /orders", { ...order, currency: "eur" }));
    // Assess
    expect(response).toMatchObject({ status: 201, body: { currency: "EUR" } });
  });
});

/** Malformed bodies: each is a 400 naming the field (or the body), and nothing is written. */
const badOrders: [string, unknown, string][] = [
  ["total as text", { ...order, total: "12,50" }, "total"],
  ["total infinite", `{"id":"1","contactId":"c","createdAt":"2024-05-31T10:00:00Z","total":1e999,"currency":"EUR"}`, "total"],
  ["total missing", { ...order, total: undefined }, "total"],
  ["total null", { ...order, total: null }, "total"],
  ["total absurd", { ...order, total: 1e12 }, "total"],
  ["id missing", { ...order, id: undefined }, "id"],
  ["id empty", { ...order, id: "  " }, "id"],
  ["id a number", { ...order, id: 1001 }, "id"],
  ["id with #", { ...order, id: "10#01" }, "id"],
  ["contact missing", { ...order, contactId: undefined }, "contactId"],
  ["contact with control characters", { ...order, contactId: "c\u0000-1" }, "contactId"],
  ["contact too long", { ...order, contactId: "x".repeat(200) }, "contactId"],
  ["unknown currency", { ...order, currency: "XYZ" }, "currency"],
  ["date not a date", { ...order, createdAt: "yesterday" }, "createdAt"],
  ["date without zone", { ...order, createdAt: "2024-05-31 10:00" }, "createdAt"],
  ["date in the future", { ...order, createdAt: "2030-01-01T00:00:00Z" }, "createdAt"],
  ["unknown status", { ...order, status: "shipped" }, "status"],
  ["unknown field", { ...order, discount: 5 }, "discount"],
  ["an array", [order], "(body)"],
  ["null", "null", "(body)"],
  ["quotes and control characters in the id", { ...order, id: 'a"b\u0007' }, "id"],
];

describe("bad input is a 400 that names the field, and writes nothing", () => {
  it.each(badOrders)("POST /orders: %s", async (_name, body, field) => {
    // Prepare
    const { store, call } = setup();
    // Act
    const response = await call(request("POST /orders", body));
    // Assess
    expect(response.status).toBe(400);
    expect((response.body.fields as { field: string }[]).map((f) => f.field)).toContain(field);
    expect(store.writes).toEqual([]);
  });

  it.each([
    ["not JSON", "{order: 1}"],
    ["empty", ""],
    ["truncated", '{"id": "1", "total": 4'],
  ])("POST /orders: %s → body is not JSON", async (_name, body) => {
    const { store, call } = setup();
    expect(await call(request("POST /orders", body))).toEqual({ status: 400, body: { error: "body is not JSON" } });
    expect(store.writes).toEqual([]);
  });

  it("POST /orders: a 5 MB body is refused before parsing (413)", async () => {
    // Prepare
    const { store, call } = setup();
    // Act
    const response = await call(request("POST /orders", JSON.stringify({ ...order, note: "x".repeat(5 * 1024 * 1024) })));
    // Assess
    expect(response.status).toBe(413);
    expect(store.writes).toEqual([]);
  });

  const contact = { email: "ann@example.com", firstName: "Ann", subscription: "subscribed", consentAt: "2024-05-01T09:00:00Z" };
  it.each<[string, unknown, string, string?]>([
    ["e-mail not an address", { ...contact, email: "ann-at-example" }, "email"],
    ["subscription unknown", { ...contact, subscription: "yes" }, "subscription"],
    ["subscribed without consent time", { ...contact, consentAt: undefined }, "consentAt"],
    ["consent time not a time", { ...contact, consentAt: "soon" }, "consentAt"],
    ["first name with control characters", { ...contact, firstName: "A\u001bnn" }, "firstName"],
    ["country not a code", { ...contact, country: "Spain" }, "country"],
    ["contact id with #", contact, "id", "a#b"],
  ])("PUT /contacts/{id}: %s", async (_name, body, field, id = "c-1") => {
    const { store, call } = setup();
    const response = await call(request("PUT /contacts/{id}", body, { pathParameters: { id } }));
    expect(response.status).toBe(400);
    expect((response.body.fields as { field: string }[]).map((f) => f.field)).toContain(field);
    expect(store.writes).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ["unknown event type", { contactId: "c-1", type: "read", at: "2024-05-31T10:00:00Z" }, "type"],
    ["missing time", { contactId: "c-1", type: "opened" }, "at"],
  ])("POST /events: %s", async (_name, body, field) => {
    const { store, call } = setup();
    const response = await call(request("POST /events", body));
    expect(response.status).toBe(400);
    expect((response.body.fields as { field: string }[]).map((f) => f.field)).toContain(field);
    expect(store.writes).toEqual([]);
  });
});

describe("PUT /contacts/{id} and POST /events", () => {
  it("stores a contact", async () => {
    // Prepare
    const { store, call } = setup();
    // Act
    const response = await call(request("PUT /contacts/{id}", { email: "ann@example.com", subscription: "never_subscribed" }, { pathParameters: { id: "c-1" } }));
    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ contactId: "c-1", email: "ann@example.com", subscription: "never_subscribed", notes: [] });
    expect(store.writes).toEqual([{ method: "putContact", args: ["c-1", { email: "ann@example.com", subscription: "never_subscribed" }, "api"] }]);
  });

  it("an old consent after an opt-out: 200, the rest of the profile stored, the subscription kept and said so in words", async () => {
    // Prepare
    const { call } = setup();
    const put = (body: object) => call(request("PUT /contacts/{id}", body, { pathParameters: { id: "c-1" } }));
    await put({ email: "ann@example.com", subscription: "subscribed", consentAt: "2024-05-01T09:00:00Z" });
    await call(request("POST /unsubscribe", "List-Unsubscribe=One-Click", { queryStringParameters: { token: signUnsubscribeToken("c-1", NOW, SECRET) } }));
    // Act
    const response = await put({ email: "ann@example.com", firstName: "Ann", subscription: "subscribed", consentAt: "2024-05-01T09:00:00Z" });
    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ firstName: "Ann", subscription: "unsubscribed", optedOutVia: "one-click" });
    expect(response.body.notes).toEqual(['subscription kept "unsubscribed": the contact opted out on 2024-06-01, after this consent of 2024-05-01']);
  });

  it("refuses a consent in the future (it would outrank any opt-out), naming the field", async () => {
    // Prepare
    const { store, call } = setup();
    // Act
    const response = await call(request("PUT /contacts/{id}", { subscription: "subscribed", consentAt: "2030-01-01T00:00:00Z" }, { pathParameters: { id: "c-1" } }));
    // Assess
    expect(response).toEqual({ status: 400, body: { error: "invalid body", fields: [{ field: "consentAt", message: "is in the future" }] } });
    expect(store.writes).toEqual([]);
  });

  it("a bounce or a complaint goes the way of SES feedback: the rules, then the event", async () => {
    // Prepare
    const { store, call } = setup();
    // Act
    await call(request("PUT /contacts/{id}", { email: "ann@example.com", subscription: "subscribed", consentAt: "2024-05-01T09:00:00Z" }, { pathParameters: { id: "c-1" } }));
    // Assess
    expect((await call(request("POST /events", { contactId: "c-1", type: "bounced", at: "2024-05-31T10:00:00Z" }))).status).toBe(202);
    expect(store.writes.slice(1).map((w) => w.method)).toEqual(["changeSubscription", "recordEmailEvent"]);
    expect(store.profiles.get("c-1")?.subscription).toBe("suppressed");
  });

  it("an opened or clicked event is only recorded", async () => {
    // Prepare
    const { store, call } = setup();
    // Act and assess
    expect((await call(request("POST /events", { contactId: "c-1", type: "opened", at: "2024-05-31T10:00:00Z" }))).status).toBe(202);
    expect(store.writes.map((w) => w.method)).toEqual(["recordEmailEvent"]);
  });
});

describe("POST /unsubscribe (RFC 8058 one-click)", () => {
  const oneClick = "List-Unsubscribe=One-Click";

  it("unsubscribes the contact named by a valid token", async () => {
    // Prepare
    const { store, call } = setup();
    const token = signUnsubscribeToken("c-1", NOW - 86_400_000, SECRET);
    // Act
    const response = await call(request("POST /unsubscribe", oneClick, { queryStringParameters: { token } }));
    // Assess
    expect(response).toEqual({ status: 200, body: { unsubscribed: true } });
    expect(store.writes).toEqual([{ method: "changeSubscription", args: ["c-1", { type: "opt-out", via: "one-click", at: new Date(NOW).toISOString() }] }]);
  });

  it.each([
    ["forged for another contact", () => signUnsubscribeToken("c-1", NOW, SECRET).replace(Buffer.from("c-1").toString("base64url"), Buffer.from("c-2").toString("base64url")), "bad signature"],
    ["signed with another secret", () => signUnsubscribeToken("c-1", NOW, "another-secret-of-some-length"), "bad signature"],
    ["expired", () => signUnsubscribeToken("c-1", NOW - 500 * 86_400_000, SECRET), "expired token"],
    ["garbage", () => "abc", "malformed token"],
  ])("refuses a token %s (403)", async (_name, token, reason) => {
    const { store, call } = setup();
    const response = await call(request("POST /unsubscribe", oneClick, { queryStringParameters: { token: token() } }));
    expect(response).toEqual({ status: 403, body: { error: reason } });
    expect(store.writes).toEqual([]);
  });

  it("token round trip and API key hashing", () => {
    // Act and assess
    expect(verifyUnsubscribeToken(signUnsubscribeToken("ü#1", NOW, SECRET), NOW, { secret: SECRET })).toEqual({ valid: true, contactId: "ü#1" });
    const hashes = [hashApiKey("key-one"), hashApiKey("key-two")];
    expect(isKnownApiKey("key-two", hashes)).toBe(true);
    expect(isKnownApiKey("key-three", hashes)).toBe(false);
    expect(isKnownApiKey(undefined, hashes)).toBe(false);
  });
});
