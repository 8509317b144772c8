import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CouponStore } from "../../functions/adapters/dynamodb/coupon-store.js";
import { storeClient } from "../../functions/adapters/dynamodb/store-client.js";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import { routes } from "../../functions/handlers/http/routes.js";
import { startLocalApi } from "../../functions/local/http-server.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";

const NOW = Date.parse("2024-06-01T12:00:00Z");

/** POST /coupon-sets/{id}/codes on localhost over dynalite: the route the Lambda runs, behind the API key check. */
describe("POST /coupon-sets/{id}/codes", () => {
  const KEY = "test-key-0123456789";
  let local: LocalStore;
  let client: DynamoDBDocumentClient;
  let coupons: CouponStore;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    local = await openLocalStore({ tableName: "clv-coupon-routes" });
    client = storeClient({ endpoint: local.endpoint });
    coupons = new CouponStore(client, local.tableName, () => NOW);
    server = await startLocalApi({ store: local.store, coupons, clock: () => NOW, unsubscribeSecret: async () => "a-secret-of-enough-length", apiKeyHashes: [hashApiKey(KEY)] });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    client.destroy();
    await local.close();
  });

  const post = async (setId: string, body: unknown, key: string | null = KEY) => {
    const response = await fetch(`${base}/coupon-sets/${setId}/codes`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key !== null && { "x-api-key": key }) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("creates the set and adds its codes (201); sending the same codes again adds nothing (200)", async () => {
    // Prepare
    const body = { name: "Win-back 15 %", expiresAt: "2024-06-30", lowStockThreshold: 1, codes: ["WB-1", "WB-2", "WB-3"] };
    // Act
    const first = await post("win-back", body);
    // Assess
    expect(first).toEqual({
      status: 201,
      body: {
        setId: "win-back",
        set: "created",
        imported: 3,
        duplicates: 0,
        stock: { setId: "win-back", name: "Win-back 15 %", expiresAt: "2024-07-01T00:00:00.000Z", expired: false, codes: 3, assigned: 0, stock: 3, lowStockThreshold: 1, low: false },
      },
    });
    const again = await post("win-back", { ...body, codes: ["WB-3", "WB-2", "WB-4"] });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ set: "updated", imported: 1, duplicates: 2, stock: { codes: 4, stock: 4 } });
    expect(await post("win-back", body)).toMatchObject({ status: 200, body: { imported: 0, duplicates: 3 } });
    expect(await coupons.assignCoupon("win-back", "ann", NOW)).toMatchObject({ status: "assigned", code: "WB-1" });
  });

  it("answers a bad body or id with 400 naming the field, and writes nothing", async () => {
    // Act and assess
    expect(await post("welcome", { expiresAt: "2024-06-30", codes: ["W-1", "W 2"] })).toEqual({
      status: 400,
      body: { error: "invalid body", fields: [{ field: "codes.1", message: "contains spaces or control characters" }] },
    });
    expect((await post("welcome", { expiresAt: "2024-05-01", codes: ["W-1"] })).body).toMatchObject({ fields: [{ field: "expiresAt", message: expect.stringContaining("is in the past") }] });
    expect((await post("welcome", { expiresAt: "2024-06-30", lowStockThreshold: "ten", codes: ["W-1"] })).body).toMatchObject({ fields: [{ field: "lowStockThreshold" }] });
    expect((await post("welcome", "not json")).body).toEqual({ error: "body is not JSON" });
    expect(await post("wel%23come", { expiresAt: "2024-06-30", codes: ["W-1"] })).toEqual({
      status: 400,
      body: { error: "invalid path", fields: [{ field: "id", message: "must be letters, digits, '.', '_' or '-'" }] },
    });
    expect(await coupons.couponStock("welcome")).toBeUndefined();
  });

  it("refuses a request without the API key", async () => {
    // Act and assess
    expect((await post("keyless", { expiresAt: "2024-06-30", codes: ["K-1"] }, null)).status).toBe(401);
    expect(await coupons.couponStock("keyless")).toBeUndefined();
  });

  it("answers 409 while another import into the same set runs", async () => {
    // Prepare
    await post("busy", { expiresAt: "2024-06-30", codes: ["B-1"] });
    await client.send(
      new UpdateCommand({
        TableName: local.tableName,
        Key: { PK: "COUPONSET#busy", SK: "META" },
        UpdateExpression: "SET importToken = :token, importUntil = :until",
        ExpressionAttributeValues: { ":token": "another-import", ":until": NOW + 60_000 },
      }),
    );
    // Act
    const response = await post("busy", { expiresAt: "2024-06-30", codes: ["B-2"] });
    // Assess
    expect(response.status).toBe(409);
    expect(String(response.body.error)).toContain('another import into coupon set "busy" is running');
    expect((await coupons.couponStock("busy"))!.codes).toBe(1);
  });

  it("answers 501 where no coupon store is wired in", async () => {
    // Prepare
    const event = { routeKey: "POST /coupon-sets/{id}/codes", pathParameters: { id: "x" }, body: JSON.stringify({ expiresAt: "2024-06-30", codes: ["X-1"] }), isBase64Encoded: false, headers: {} };
    // Act
    const response = await routes["POST /coupon-sets/{id}/codes"]!(event as unknown as APIGatewayProxyEventV2, { store: local.store, clock: () => NOW, unsubscribeSecret: async () => "" });
    // Assess
    expect(response.statusCode).toBe(501);
  });
});
