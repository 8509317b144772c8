import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import { signUnsubscribeToken } from "../../functions/domain/store/unsubscribe-token.js";
import { startLocalApi } from "../../functions/local/http-server.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";

/** The HTTP API on localhost over dynalite: the same routes the Lambda runs, the key check as API Gateway does it. */
describe("the HTTP API on localhost", () => {
  const KEY = "test-key-0123456789";
  const SECRET = "test-unsubscribe-secret";
  let local: LocalStore;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    local = await openLocalStore();
    server = await startLocalApi({ store: local.store, clock: Date.now, unsubscribeSecret: async () => SECRET, apiKeyHashes: [hashApiKey(KEY)] });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await local.close();
  });

  const send = (method: string, path: string, body?: unknown, key: string | null = KEY) =>
    fetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/json", ...(key !== null && { "x-api-key": key }) },
      ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });

  const order = { id: "o-1", contactId: "ann", createdAt: "2024-05-31T10:00:00Z", total: 30, currency: "EUR" };

  it("refuses a request without a key (401) or with a wrong one (403), and stores nothing", async () => {
    expect((await send("POST", "/orders", order, null)).status).toBe(401);
    expect((await send("POST", "/orders", order, "not-our-key")).status).toBe(403);
    expect(await local.store.getContact("ann")).toBeUndefined();
  });

  it("records an order once, however often it is sent, and a refund takes it out", async () => {
    expect((await send("POST", "/orders", order)).status).toBe(201);
    expect((await send("POST", "/orders", order)).status).toBe(200);
    expect((await send("POST", "/orders", { ...order, id: "o-2", createdAt: "2024-06-01T10:00:00Z", total: 20 })).status).toBe(201);
    expect((await local.store.getContact("ann"))!.history).toMatchObject({ orderCount: 2, revenue: 50 });
    expect((await send("POST", "/orders", { ...order, status: "refunded" })).status).toBe(200);
    expect((await local.store.getContact("ann"))!.history).toMatchObject({ orderCount: 1, revenue: 20 });
  });

  it("stores a contact and unsubscribes it with a one-click link, no key needed", async () => {
    const put = await send("PUT", "/contacts/ann", { email: "ann@example.com", firstName: "Ann", subscription: "subscribed", consentAt: "2024-05-01T09:00:00Z" });
    expect(put.status).toBe(200);
    const token = signUnsubscribeToken("ann", Date.now(), SECRET);
    const unsubscribe = await fetch(`${base}/unsubscribe?token=${token}`, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(unsubscribe.status).toBe(200);
    const contact = await local.store.getContact("ann");
    expect(contact!.profile).toMatchObject({ email: "ann@example.com", subscription: "unsubscribed" });
    expect(contact!.history).toMatchObject({ orderCount: 1 });
  });

  it("answers a bad body with 400 naming the field, and an unknown route with 404", async () => {
    const response = await send("POST", "/orders", { ...order, id: "o-9", total: "12,50" });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid body", fields: [{ field: "total", message: "expected a number, got a string" }] });
    expect((await send("GET", "/orders")).status).toBe(404);
  });
});
