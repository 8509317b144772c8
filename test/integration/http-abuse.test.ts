import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import { signUnsubscribeToken } from "../../functions/domain/store/unsubscribe-token.js";
import { API_THROTTLE, MAX_BODY_BYTES } from "../../functions/handlers/http/http-json.js";
import { startLocalApi, type LocalApiOptions } from "../../functions/local/http-server.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";
import { concurrently, stressSize } from "../support/stress.js";

/**
 * Abuse of the HTTP API on localhost (the routes the Lambda runs, the key check and throttling as
 * API Gateway does them, dynalite behind): no key, a wrong key, forged and replayed unsubscribe
 * tokens, oversize bodies, a burst of 1,000 requests. Each test prints its figures for the README.
 */
const KEY = "abuse-test-key-0123456789abcdef";
const SECRET = "abuse-test-unsubscribe-secret";
const DAY = 86_400_000;
/** Orders in the burst: 1,000 under `npm run test:stress`; sent over at most SOCKETS connections at once. */
const BURST = stressSize(1_000, 400);
const SOCKETS = 32;
let local: LocalStore;
const servers: Server[] = [];

beforeAll(async () => {
  local = await openLocalStore({ tableName: "clv-http-abuse" });
});
afterAll(async () => {
  for (const server of servers) server.close();
  await local?.close();
});

async function api(options: Partial<LocalApiOptions> = {}): Promise<string> {
  const server = await startLocalApi({ store: local.store, clock: Date.now, unsubscribeSecret: async () => SECRET, apiKeyHashes: [hashApiKey(KEY)], ...options });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = (body: unknown) => JSON.stringify(body);
const order = (id: string, contactId: string, total = 30) => ({ id, contactId, createdAt: "2024-05-31T10:00:00Z", total, currency: "EUR" });

describe("the API key", () => {
  let base: string;
  beforeAll(async () => {
    base = await api();
  });

  const routes = [
    ["PUT", "/contacts/mallory", json({ email: "mallory@example.com", subscription: "never_subscribed" })],
    ["POST", "/orders", json(order("stolen-1", "mallory"))],
    ["POST", "/events", json({ contactId: "mallory", type: "bounced", at: "2024-05-31T10:00:00Z" })],
    ["POST", "/coupon-sets/free/codes", json({ name: "Free", expiresAt: "2030-01-01", codes: ["FREE"] })],
  ] as const;

  it("refuses every keyed route without a key (401) or with any wrong key (403), and stores nothing", async () => {
    const wrongKeys = { "a wrong key": "not-our-key", "ours with one character changed": `${KEY.slice(0, -1)}X`, "ours in capitals": KEY.toUpperCase(), "a 4 KB key": "k".repeat(4_096) };
    const answers: Record<string, number[]> = { "no header": [], "an empty header": [], "the key as a bearer token": [], ...Object.fromEntries(Object.keys(wrongKeys).map((k) => [k, [] as number[]])) };
    for (const [method, path, body] of routes) {
      const send = (headers: Record<string, string>) => fetch(`${base}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body }).then((r) => r.status);
      answers["no header"]!.push(await send({}));
      answers["an empty header"]!.push(await send({ "x-api-key": "" }));
      answers["the key as a bearer token"]!.push(await send({ authorization: `Bearer ${KEY}` }));
      for (const [what, key] of Object.entries(wrongKeys)) answers[what]!.push(await send({ "x-api-key": key }));
    }
    expect(answers).toEqual({
      "no header": [401, 401, 401, 401],
      "an empty header": [401, 401, 401, 401],
      "the key as a bearer token": [401, 401, 401, 401],
      "a wrong key": [403, 403, 403, 403],
      "ours with one character changed": [403, 403, 403, 403],
      "ours in capitals": [403, 403, 403, 403],
      "a 4 KB key": [403, 403, 403, 403],
    });
    // Headers beyond 16 KB are refused by Node's HTTP parser before any route (API Gateway's limit is 10 KB).
    expect((await fetch(`${base}/orders`, { method: "POST", headers: { "x-api-key": "k".repeat(20_000) }, body: routes[1][2] })).status).toBe(431);
    expect(await local.store.getContact("mallory")).toBeUndefined();
    console.log(`[abuse] API key: ${Object.values(answers).flat().length} requests without a valid key on ${routes.length} routes: ${Object.values(answers).flat().filter((s) => s === 401).length} × 401, ${Object.values(answers).flat().filter((s) => s === 403).length} × 403, nothing stored`);
  });
});

describe("one-click unsubscribe tokens", () => {
  let base: string;
  beforeAll(async () => {
    base = await api();
    for (const id of ["ann", "bob"]) await local.store.putContact(id, { email: `${id}@example.com`, subscription: "subscribed", consentAt: "2024-05-01T09:00:00Z" });
  });
  const unsubscribe = (token: string | undefined) =>
    fetch(`${base}/unsubscribe${token === undefined ? "" : `?token=${encodeURIComponent(token)}`}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
  const subscription = async (id: string) => (await local.store.getContact(id))!.profile!.subscription;

  it("refuses forged, tampered, expired and future tokens (403) and a missing one (400), and changes nothing", async () => {
    const now = Date.now();
    const valid = signUnsubscribeToken("ann", now, SECRET);
    const [, issued, signature] = valid.split(".") as [string, string, string];
    const forged = {
      "bob's id with ann's signature": `${Buffer.from("bob").toString("base64url")}.${issued}.${signature}`,
      "signed with another secret": signUnsubscribeToken("bob", now, "not-the-stores-secret-at-all"),
      "a later issue time, same signature": `${Buffer.from("ann").toString("base64url")}.${Number(issued) + 1}.${signature}`,
      "the signature cut short": valid.slice(0, -5),
      "two parts": valid.split(".").slice(0, 2).join("."),
      "garbage": "%%%not-a-token%%%",
      "issued 401 days ago": signUnsubscribeToken("bob", now - 401 * DAY, SECRET),
      "issued an hour from now": signUnsubscribeToken("bob", now + 3_600_000, SECRET),
    };
    const answers = Object.fromEntries(await Promise.all(Object.entries(forged).map(async ([what, token]) => [what, (await unsubscribe(token)).status])));
    expect(answers).toEqual(Object.fromEntries(Object.keys(forged).map((what) => [what, 403])));
    expect((await unsubscribe(undefined)).status).toBe(400);
    expect(await subscription("ann")).toBe("subscribed");
    expect(await subscription("bob")).toBe("subscribed");
    console.log(`[abuse] unsubscribe: ${Object.keys(forged).length} forged or expired tokens → 403, a missing one → 400; no contact changed`);
  });

  it("takes a replayed token as the same unsubscribe: 200 each time, that contact only", async () => {
    const token = signUnsubscribeToken("ann", Date.now() - 30 * DAY, SECRET);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await unsubscribe(token)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(await subscription("ann")).toBe("unsubscribed");
    expect(await subscription("bob")).toBe("subscribed");
    console.log("[abuse] unsubscribe: the same token 5 times → 200 × 5, ann unsubscribed, bob untouched");
  });
});

describe("oversize bodies", () => {
  let base: string;
  beforeAll(async () => {
    base = await api();
  });

  it("answers 413 from 256 KB to 20 MB, on keyed and public routes, stores nothing, and keeps serving", async () => {
    const padded = (bytes: number) => {
      const body = json({ ...order("huge-1", "hugo"), note: "" });
      return body.replace('"note":""', `"note":"${"x".repeat(bytes - body.length)}"`);
    };
    const sizes = [MAX_BODY_BYTES + 1, 1024 * 1024, 20 * 1024 * 1024];
    const keyed = [];
    const unsubscribe = [];
    for (const size of sizes) {
      keyed.push((await fetch(`${base}/orders`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: padded(size) })).status);
      unsubscribe.push((await fetch(`${base}/unsubscribe?token=a.b.c`, { method: "POST", body: "x".repeat(size) })).status);
    }
    expect(keyed).toEqual([413, 413, 413]);
    expect(unsubscribe).toEqual([413, 413, 413]);
    // Just under the limit, the body is read and judged: an unknown field is a 400, not a 413.
    expect((await fetch(`${base}/orders`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: padded(MAX_BODY_BYTES) })).status).toBe(400);
    expect(await local.store.getContact("hugo")).toBeUndefined();
    expect((await fetch(`${base}/orders`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: json(order("small-1", "hugo")) })).status).toBe(201);
    console.log(`[abuse] oversize: bodies of 256 KB + 1 byte, 1 MB and 20 MB → 413 on /orders and /unsubscribe; nothing stored; the next request served`);
  });
});

describe(`a burst of ${BURST.toLocaleString("en")} requests`, () => {
  it("takes the burst and then the rate, answers the rest 429 with Retry-After; a client that retries loses nothing and doubles nothing", async () => {
    // The throttle's clock is the test's: a client waiting Retry-After seconds moves it on.
    let now = Date.parse("2024-06-01T12:00:00Z");
    const base = await api({ throttle: { ...API_THROTTLE, clock: () => now } });
    const orders = Array.from({ length: BURST }, (_, i) => order(`burst-${i}`, `burst-contact-${i % 100}`, 1 + (i % 7)));
    const post = (o: ReturnType<typeof order>) => fetch(`${base}/orders`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: json(o) });

    let pending = orders;
    const accepted = new Map<string, number>();
    const rounds: { sent: number; accepted: number; throttled: number }[] = [];
    let retryAfterMissing = 0;
    const started = performance.now();
    while (pending.length > 0) {
      // At most SOCKETS connections at once: a thousand sockets opened together reset under load, and
      // the throttle's clock stands still within a round, so the round is the same burst either way.
      const answers = await concurrently(pending, SOCKETS, async (o) => ({ o, response: await post(o) }));
      const throttled = answers.filter((a) => a.response.status === 429);
      for (const { o, response } of answers) {
        if (response.status === 429) {
          if (!/^\d+$/.test(response.headers.get("retry-after") ?? "")) retryAfterMissing++;
          expect(await response.json()).toEqual({ message: "Too Many Requests" });
        } else {
          expect(response.status, o.id).toBe(201);
          accepted.set(o.id, (accepted.get(o.id) ?? 0) + 1);
          await response.arrayBuffer();
        }
      }
      rounds.push({ sent: answers.length, accepted: answers.length - throttled.length, throttled: throttled.length });
      if (rounds.length === 1) {
        // Throttling is per route: a burst of orders leaves the events route alone.
        const event = await fetch(`${base}/events`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: json({ contactId: "burst-contact-0", type: "opened", at: "2024-06-01T12:00:00Z" }) });
        expect(event.status).toBe(202);
      }
      // Wait what the answers said (on the test's clock).
      now += 1000 * Math.max(0, ...throttled.map((a) => Number(a.response.headers.get("retry-after"))));
      pending = throttled.map((a) => a.o);
    }
    const seconds = (performance.now() - started) / 1000;

    expect(retryAfterMissing).toBe(0);
    expect(rounds[0]).toEqual({ sent: BURST, accepted: API_THROTTLE.burst, throttled: BURST - API_THROTTLE.burst });
    // After the burst, one second's worth (the rate) per Retry-After of one second.
    for (const round of rounds.slice(1, -1)) expect(round.accepted).toBe(API_THROTTLE.ratePerSecond);
    expect(accepted.size).toBe(BURST);
    expect([...accepted.values()].every((n) => n === 1)).toBe(true);
    for (let c = 0; c < 100; c++) {
      const expected = orders.filter((o) => o.contactId === `burst-contact-${c}`);
      expect((await local.store.getContact(`burst-contact-${c}`))!.history, `burst-contact-${c}`).toMatchObject({ orderCount: expected.length, revenue: expected.reduce((n, o) => n + o.total, 0) });
    }
    const throttledTotal = rounds.reduce((n, r) => n + r.throttled, 0);
    console.log(
      `[abuse] burst: ${BURST.toLocaleString("en")} orders at once → ${rounds[0]!.accepted} accepted (the burst), ${rounds[0]!.throttled} × 429 with Retry-After; retried after it: ${rounds.length} rounds, ${throttledTotal} × 429 in all, ${(now - Date.parse("2024-06-01T12:00:00Z")) / 1000} s of (fake) waiting; ${BURST}/${BURST} stored once; ${seconds.toFixed(1)} s on localhost`,
    );
  });
});
