import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { signUnsubscribeToken } from "../../functions/domain/store/unsubscribe-token.js";
import { routes, type HttpDependencies } from "../../functions/handlers/http/routes.js";
import { RecordingStore } from "../support/recording-store.js";

const NOW = Date.parse("2026-03-02T10:00:00Z");
const SECRET = "a-test-secret-of-enough-length";
const STORE_NAME = `Ann's <Shop> & "Co"`;

/** A clock a second on at each reading: the person clicks, reads the page, clicks again. */
function ticking() {
  let now = NOW;
  return () => (now += 1000);
}

async function setup() {
  const clock = ticking();
  const store = new RecordingStore(clock);
  await store.putContact("c-1", { email: "ann@example.com", firstName: "Ann", subscription: "subscribed", consentAt: "2024-05-01T09:00:00Z" });
  store.writes.length = 0;
  const deps: HttpDependencies = { store, clock, unsubscribeSecret: async () => SECRET, storeName: STORE_NAME };
  const call = async (routeKey: string, token: string | undefined, body = "") => {
    const event = { routeKey, body, isBase64Encoded: false, headers: {}, ...(token !== undefined && { queryStringParameters: { token } }) } as unknown as APIGatewayProxyEventV2;
    const response = await routes[routeKey]!(event, deps);
    return { status: response.statusCode, headers: response.headers ?? {}, body: String(response.body) };
  };
  return { store, call, token: signUnsubscribeToken("c-1", NOW - 86_400_000, SECRET) };
}

describe("GET /unsubscribe (the footer link)", () => {
  it("answers a page in the store's name with one button that posts, and changes nothing", async () => {
    // Prepare
    const { store, call, token } = await setup();
    // Act
    const page = await call("GET /unsubscribe", token);
    // Assess
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(page.body).toContain("Ann&#39;s &lt;Shop&gt; &amp; &quot;Co&quot;");
    expect(page.body).not.toContain(STORE_NAME);
    expect(page.body.match(/<form method="post" action="\?token=[^"]+">/g)).toHaveLength(1);
    expect(page.body.match(/<button/g)).toHaveLength(1);
    expect(page.body).toContain('name="choice" value="unsubscribe"');
    expect(store.writes).toEqual([]);
    expect(store.profiles.get("c-1")!.subscription).toBe("subscribed");
  });

  it("shows no one's data: neither the address nor the name of the contact", async () => {
    // Prepare
    const { call, token } = await setup();
    // Act and assess
    for (const page of [await call("GET /unsubscribe", token), await call("POST /unsubscribe", token, "choice=unsubscribe"), await call("POST /unsubscribe", token, "choice=resubscribe")]) {
      expect(page.body).not.toMatch(/ann@example\.com|>Ann</);
      expect(page.body).not.toContain("c-1");
    }
  });

  it.each([
    ["without a token", undefined, 400, "This link is incomplete"],
    ["with a forged token", signUnsubscribeToken("c-1", NOW, "another-secret-of-some-length"), 403, "This link is not valid"],
    ["with an expired token", signUnsubscribeToken("c-1", NOW - 500 * 86_400_000, SECRET), 403, "This link has expired"],
  ])("answers a page %s, with no button", async (_, token, status, words) => {
    const { call } = await setup();
    const page = await call("GET /unsubscribe", token);
    expect(page.status).toBe(status);
    expect(page.body).toContain(words);
    expect(page.body).not.toContain("<form");
  });
});

describe("POST /unsubscribe", () => {
  it("the page's button unsubscribes (by the footer link) and answers the confirmation with 'I changed my mind'", async () => {
    // Prepare
    const { store, call, token } = await setup();
    // Act
    const page = await call("POST /unsubscribe", token, "choice=unsubscribe");
    // Assess
    expect(page.status).toBe(200);
    expect(page.body).toContain("You are unsubscribed");
    expect(page.body).toContain("I changed my mind");
    expect(page.body).toContain('name="choice" value="resubscribe"');
    expect(store.profiles.get("c-1")).toMatchObject({ subscription: "unsubscribed", optedOutAt: expect.stringMatching(/^2026-03-02T10:00/), optedOutVia: "link" });
  });

  it("'I changed my mind' re-subscribes, recorded as a new consent through the link", async () => {
    // Prepare
    const { store, call, token } = await setup();
    await call("POST /unsubscribe", token, "choice=unsubscribe");
    // Act
    const page = await call("POST /unsubscribe", token, "choice=resubscribe");
    // Assess
    expect(page.status).toBe(200);
    expect(page.body).toContain("You are subscribed again");
    const { optedOutAt, consentAt } = store.profiles.get("c-1")!;
    expect(store.profiles.get("c-1")!.subscription).toBe("subscribed");
    expect(Date.parse(consentAt!)).toBeGreaterThan(Date.parse(optedOutAt!));
    expect(store.profiles.get("c-1")!.subscriptionHistory!.at(-1)).toMatchObject({ event: "consent", via: "link", subscription: "subscribed" });
  });

  it("'I changed my mind' cannot undo a hard bounce: the page says the contact stays unsubscribed", async () => {
    // Prepare
    const { store, call, token } = await setup();
    await store.changeSubscription("c-1", { type: "bounce", at: "2026-03-01T00:00:00Z" });
    // Act
    const page = await call("POST /unsubscribe", token, "choice=resubscribe");
    // Assess
    expect(page.status).toBe(409);
    expect(page.body).toContain("You stay unsubscribed");
    expect(store.profiles.get("c-1")!.subscription).toBe("suppressed");
  });

  it("an expired token on the page's button answers the expired page and changes nothing", async () => {
    // Prepare
    const { store, call } = await setup();
    // Act
    const page = await call("POST /unsubscribe", signUnsubscribeToken("c-1", NOW - 500 * 86_400_000, SECRET), "choice=resubscribe");
    // Assess
    expect(page.status).toBe(403);
    expect(page.body).toContain("This link has expired");
    expect(store.writes).toEqual([]);
  });

  it.each([
    ["URL-encoded", "List-Unsubscribe=One-Click"],
    ["multipart/form-data", '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n'],
    ["empty", ""],
  ])("RFC 8058 one-click (%s) keeps working: JSON 200, unsubscribed by one-click", async (_, body) => {
    const { store, call, token } = await setup();
    const response = await call("POST /unsubscribe", token, body);
    expect([response.status, JSON.parse(response.body)]).toEqual([200, { unsubscribed: true }]);
    expect(store.profiles.get("c-1")).toMatchObject({ subscription: "unsubscribed", optedOutVia: "one-click" });
  });

  it("refuses another body (400) and changes nothing", async () => {
    // Prepare
    const { store, call, token } = await setup();
    // Act
    const response = await call("POST /unsubscribe", token, "choice=delete-everything");
    // Assess
    expect(response.status).toBe(400);
    expect(store.writes).toEqual([]);
  });

  it("answers an unknown contact (erased) the same way, and writes nothing", async () => {
    // Prepare
    const { store, call } = await setup();
    const token = signUnsubscribeToken("nobody", NOW, SECRET);
    // Act
    const page = await call("POST /unsubscribe", token, "choice=unsubscribe");
    // Assess
    expect(page.status).toBe(200);
    expect(page.body).toContain("You are unsubscribed");
    expect(store.profiles.has("nobody")).toBe(false);
  });
});
