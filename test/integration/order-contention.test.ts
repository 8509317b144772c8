import { mkdtempSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { importOrders } from "../../functions/adapters/csv/import-csv.js";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import type { OrderInput } from "../../functions/domain/store/order.js";
import { CONTENDED_TRIES } from "../../functions/domain/store/record-order.js";
import { ORDER_CLAIMS_VERSION, orderClaimKey } from "../../functions/domain/store/table-keys.js";
import { startLocalApi } from "../../functions/local/http-server.js";
import { useDynalite } from "../support/dynalite.js";

/*
 * A contact whose summary other senders keep changing: every conditional write to its summary pages
 * is refused, as when another writer wins each race. Its orders are row errors (or a 503) that say
 * they can be sent again; the rest of the chunk is imported; sending them again counts them once.
 */
const dynalite = useDynalite("contention");
const NOW = Date.parse("2024-06-10T12:00:00Z");
const KEY = "test-key-0123456789";

/**
 * The store's client, with every UpdateItem that adds entries (counted orders, removal marks) to a
 * summary page (PROFILE, SUMMARY#…) of `contactId` refused as a lost race while `contending` is set:
 * a ConditionalCheckFailedException, as DynamoDB answers when another sender changed the page first.
 * Counts the refusals.
 */
function contendedClient(client: DynamoDBDocumentClient, contactId: string) {
  const state = { contending: true, refused: 0 };
  const send = (command: unknown) => {
    const key = command instanceof UpdateCommand ? (command.input.Key as { PK: string; SK: string }) : undefined;
    const addsEntries = command instanceof UpdateCommand && / ADD #entries :entries/.test(command.input.UpdateExpression ?? "");
    if (state.contending && addsEntries && key?.PK === `CONTACT#${contactId}` && (key.SK === "PROFILE" || key.SK.startsWith("SUMMARY#"))) {
      state.refused++;
      return Promise.reject(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }));
    }
    return client.send(command as never);
  };
  return { state, client: new Proxy(client, { get: (target, name) => (name === "send" ? send : Reflect.get(target, name)) }) };
}

function ordersFile(lines: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), "clv-contention-")), "orders.csv");
  writeFileSync(path, ["order_id,customer_id,created_at,total,currency", ...lines].join("\n") + "\n");
  return path;
}

describe("a contact written concurrently", () => {
  it("is a row error for that contact's rows in the CSV import, naming it and saying they can be re-sent; the rest of the chunk is imported", async () => {
    // Prepare: one chunk with a contended contact between two calm ones.
    const { tableName } = await dynalite.newStore();
    const { state, client } = contendedClient(dynalite.client(), "busy");
    const store = new DynamoDbStore(client, tableName, () => NOW);
    const path = ordersFile(["c-1,calm-1,2024-01-01,10,GBP", "b-1,busy,2024-01-02,20,GBP", "b-2,busy,2024-01-03,30,GBP", "c-2,calm-2,2024-01-04,40,GBP", "c-3,calm-1,2024-01-05,5,GBP"]);

    // Act
    const report = await importOrders(store, path, { storeCurrency: "GBP", now: () => NOW });

    // Assess: what the user is told
    expect(report).toMatchObject({ rows: 5, imported: 3, rejected: 2, duplicates: 0 });
    expect(report.errors).toEqual([
      { row: 3, field: "customer_id", message: expect.stringMatching(/contact busy kept changing .*sending it again is safe/) },
      { row: 4, field: "customer_id", message: expect.stringMatching(/contact busy kept changing .*sending it again is safe/) },
    ]);
    expect(state.refused).toBe(CONTENDED_TRIES);
    // Assess: what is stored
    expect(await store.getContact("calm-1")).toMatchObject({ history: { orderCount: 2, revenue: 15 } });
    expect(await store.getContact("calm-2")).toMatchObject({ history: { orderCount: 1, revenue: 40 } });
    expect((await store.getContact("busy"))?.history).toBeUndefined();

    // Act: the other senders are done; the same file again.
    state.contending = false;
    const again = await importOrders(store, path, { storeCurrency: "GBP", now: () => NOW });

    // Assess: the busy contact's rows are imported now, once; the rest are duplicates.
    expect(again).toMatchObject({ rows: 5, imported: 2, duplicates: 3, rejected: 0, errors: [] });
    expect(await store.getContact("busy")).toMatchObject({ history: { orderCount: 2, revenue: 50 } });
    expect(await importOrders(store, path, { storeCurrency: "GBP", now: () => NOW })).toMatchObject({ imported: 0, duplicates: 5 });
    expect(await store.getContact("busy")).toMatchObject({ history: { orderCount: 2, revenue: 50 } });
  });

  it("answers a cancellation it could not mark as contended, and marks it when sent again, so the late order is never counted", async () => {
    // Prepare: a cancellation that arrives before its order, while the contact is contended.
    const { tableName } = await dynalite.newStore();
    const { state, client } = contendedClient(dynalite.client(), "busy");
    const store = new DynamoDbStore(client, tableName, () => NOW);
    const order: OrderInput = { id: "r-1", contactId: "busy", createdAt: "2024-01-02T00:00:00Z", total: 20, currency: "GBP", status: "placed" };

    // Act
    const outcome = await store.recordOrder({ ...order, status: "cancelled" });
    state.contending = false;
    const again = await store.recordOrder({ ...order, status: "cancelled" });
    const thirdTime = await store.recordOrder({ ...order, status: "cancelled" });
    const late = await store.recordOrder(order);

    // Assess
    expect([outcome, again, thirdTime, late]).toEqual(["contended", "removed", "already-removed", "already-removed"]);
    expect(state.refused).toBe(CONTENDED_TRIES);
    expect((await store.getContact("busy"))?.history).toBeUndefined();
    expect(await store.getOrder("busy", "r-1")).toMatchObject({ status: "cancelled" });
  });

  it("answers 503 through the HTTP API, naming the contact and saying the order can be sent again, and 201 when it is", async () => {
    // Prepare
    const { tableName } = await dynalite.newStore();
    const { state, client } = contendedClient(dynalite.client(), "busy");
    const store = new DynamoDbStore(client, tableName, () => NOW);
    const server = await startLocalApi({ store, clock: () => NOW, orderRules: { storeCurrency: "GBP" }, unsubscribeSecret: async () => "s".repeat(20), apiKeyHashes: [hashApiKey(KEY)], throttle: false });
    const post = () =>
      fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": KEY },
        body: JSON.stringify({ id: "h-1", contactId: "busy", createdAt: "2024-05-31T10:00:00Z", total: 30, currency: "GBP" }),
      });
    try {
      // Act
      const refused = await post();
      const refusedBody = await refused.json();
      state.contending = false;
      const accepted = await post();

      // Assess
      expect(refused.status).toBe(503);
      expect(refusedBody).toMatchObject({ orderId: "h-1", error: expect.stringMatching(/contact busy kept changing .*sending it again is safe/) });
      expect(accepted.status).toBe(201);
      expect(await store.getContact("busy")).toMatchObject({ history: { orderCount: 1, revenue: 30 } });
    } finally {
      server.close();
    }
  });
});

describe("order id claims of a batch, put back whole on their version", () => {
  const batch = (first: number, contact = (i: number) => `k-${i % 7}`): OrderInput[] =>
    Array.from({ length: 30 }, (_, i) => ({ id: String(first + i), contactId: contact(i), createdAt: "2024-01-02T00:00:00Z", total: 10 + i, currency: "GBP", status: "placed" }));
  const claimItem = async (tableName: string, orderId: string) => (await dynalite.client().send(new GetCommand({ TableName: tableName, Key: orderClaimKey(orderId) }))).Item!;
  const slots = (item: Record<string, unknown>) => Object.keys(item).filter((name) => /^[cd]#/.test(name)).sort();

  it("loses no claim when another sender claims an id of the same item between the batch's read and its put", async () => {
    // Prepare: just before the batch puts its claim item, a single order claims another id of it.
    const { tableName } = await dynalite.newStore();
    const plain = new DynamoDbStore(dynalite.client(), tableName, () => NOW);
    let raced: Promise<unknown> | undefined;
    const send = (command: unknown) => {
      if (!raced && command instanceof PutCommand && String(command.input.Item?.PK).startsWith("ORDERIDS#")) {
        raced = plain.recordOrder({ id: "700199", contactId: "other", createdAt: "2024-01-03T00:00:00Z", total: 5, currency: "GBP", status: "placed" });
        return raced.then(() => dynalite.client().send(command as never));
      }
      return dynalite.client().send(command as never);
    };
    const store = new DynamoDbStore(new Proxy(dynalite.client(), { get: (target, name) => (name === "send" ? send : Reflect.get(target, name)) }), tableName, () => NOW);

    // Act
    const outcomes = await store.recordOrders(batch(700100));
    const again = await plain.recordOrders(batch(700100));
    const otherContact = await plain.recordOrders(batch(700100, () => "someone-else"));

    // Assess: every claim is there, the racing one too; re-sent ids are duplicates, another contact's a conflict.
    expect(await raced).toBe("recorded");
    expect(outcomes).toEqual(batch(700100).map(() => "recorded"));
    const item = await claimItem(tableName, "700100");
    expect(slots(item)).toEqual([...Array.from({ length: 30 }, (_, i) => `d#${String(i).padStart(2, "0")}`), "d#99"]);
    // Version 2: the racing order's write, then the batch's claims slot by slot after its put was refused.
    expect(item).toMatchObject({ "d#99": { contactId: "other" }, "d#05": { contactId: "k-5", total: 15 }, [ORDER_CLAIMS_VERSION]: 2 });
    expect(again).toEqual(batch(700100).map(() => "duplicate"));
    expect(otherContact).toEqual(batch(700100).map(() => "conflict"));
    expect(await plain.getContact("k-5")).toMatchObject({ history: { orderCount: 4, revenue: 15 + 22 + 29 + 36 } });
  });

  it("adds to a claim item written before items had a version, keeping its claims, and versions it", async () => {
    // Prepare: a claim item as an older store wrote it, without a version.
    const { tableName } = await dynalite.newStore();
    const store = new DynamoDbStore(dynalite.client(), tableName, () => NOW);
    const old = { orderId: "800100", contactId: "old", total: 7, currency: "GBP", createdAt: "2024-01-01T00:00:00.000Z", claimedAt: "2024-01-01T00:00:00.000Z" };
    await dynalite.client().send(new PutCommand({ TableName: tableName, Item: { ...orderClaimKey("800100"), "d#00": old } }));

    // Act
    const outcomes = await store.recordOrders([...batch(800101), { id: "800100", contactId: "new", createdAt: "2024-01-02T00:00:00Z", total: 7, currency: "GBP", status: "placed" }]);

    // Assess
    expect(outcomes).toEqual([...batch(800101).map(() => "recorded"), "conflict"]);
    const item = await claimItem(tableName, "800100");
    expect(slots(item)).toHaveLength(31);
    expect(item).toMatchObject({ "d#00": old, [ORDER_CLAIMS_VERSION]: 1 });
  });
});
