import { PutCommand, ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import type { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { useDynalite } from "../support/dynalite.js";
import { contactScores } from "../support/contact-scores.js";
import type { ContactScores } from "../../functions/domain/clv/contact-scores.js";
import { contactHistories, type ContactHistory } from "../../functions/domain/clv/order-history.js";
import type { OrderInput } from "../../functions/domain/store/order.js";
import type { OrderOutcome } from "../../functions/domain/store/ports.js";

const dynalite = useDynalite("store");
const newStore = dynalite.newStore;
const client = { send: ((command: never) => dynalite.client().send(command)) as DynamoDBDocumentClient["send"] };

const order = (id: string, total: number, over: Partial<OrderInput> = {}): OrderInput => ({
  id,
  contactId: "c-1",
  createdAt: "2024-03-01T10:00:00Z",
  total,
  currency: "EUR",
  status: "placed",
  ...over,
});

/** What the nightly models would make of these orders: the reference every stored summary must equal. */
function expectedHistory(orders: readonly OrderInput[]): ContactHistory | undefined {
  const placed = orders.map((o) => ({ orderId: o.id, contactId: o.contactId, createdAt: Date.parse(o.createdAt), total: o.total }));
  return contactHistories(placed, Number.POSITIVE_INFINITY)[0];
}

async function countItems(tableName: string, skPrefix: string): Promise<number> {
  let count = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, FilterExpression: "begins_with(SK, :prefix)", ExpressionAttributeValues: { ":prefix": skPrefix }, Select: "COUNT", ExclusiveStartKey }),
    );
    count += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return count;
}

describe("DynamoDbStore: orders", () => {
  it("counts a re-sent order once", async () => {
    // Prepare
    const { store } = await newStore();
    const first = order("1001", 139.12);
    // Act and assess
    expect(await store.recordOrder(first)).toBe("recorded");
    expect(await store.recordOrder(first)).toBe("duplicate");
    // The same id with another total is another order: refused, naming the field, and nothing changes.
    await expect(store.recordOrder({ ...first, total: 999 })).rejects.toMatchObject({ name: "OrderConflictError", differences: [{ field: "total", stored: 139.12, sent: 999 }] });
    const contact = await store.getContact("c-1");
    expect(contact?.history).toEqual(expectedHistory([first]));
    expect(contact?.orderCount).toBe(1);
    expect(contact?.revenue).toBe(139.12);
    expect((await store.getOrder("c-1", "1001"))?.total).toBe(139.12);
  });

  it("heals an order whose summary write was lost when the order is sent again", async () => {
    // Prepare
    const { store, tableName } = await newStore();
    const lost = order("2001", 22.2);
    // A crash between the two writes: the order item is there, the summary never heard of it.
    await client.send(new PutCommand({ TableName: tableName, Item: { PK: "CONTACT#c-1", SK: "ORDER#2001", ...lost, receivedAt: "2024-03-01T10:00:01Z" } }));
    // Act and assess
    expect(await store.getContact("c-1")).toBeUndefined();
    expect(await store.recordOrder(lost)).toBe("recorded");
    expect(await store.recordOrder(lost)).toBe("duplicate");
    const contact = await store.getContact("c-1");
    expect(contact?.history).toEqual(expectedHistory([lost]));
    expect(contact?.orderCount).toBe(1);
  });

  it("takes a refunded order out of the history; re-sending the refund, or the order, changes nothing", async () => {
    // Prepare
    const { store } = await newStore();
    const kept = order("3001", 139.12, { createdAt: "2024-03-01T10:00:00Z" });
    const refunded = order("3002", 22.2, { createdAt: "2024-03-05T10:00:00Z" });
    await store.recordOrder(kept);
    // Act
    await store.recordOrder(refunded);
    // Assess
    expect((await store.getContact("c-1"))?.revenue).toBe(161.32);

    expect(await store.recordOrder({ ...refunded, status: "refunded" })).toBe("removed");
    expect(await store.recordOrder({ ...refunded, status: "refunded" })).toBe("already-removed");
    expect(await store.recordOrder(refunded)).toBe("already-removed"); // a late "placed" does not bring it back
    expect(await store.recordOrder({ ...refunded, status: "cancelled" })).toBe("already-removed");

    const contact = await store.getContact("c-1");
    expect(contact?.history).toEqual(expectedHistory([kept]));
    expect(contact?.orderCount).toBe(1);
    expect(contact?.revenue).toBe(139.12); // exactly: DynamoDB adds and subtracts in decimal
    expect((await store.getOrder("c-1", "3002"))?.status).toBe("refunded");

    expect(await store.recordOrder({ ...kept, status: "cancelled" })).toBe("removed");
    const emptied = await store.getContact("c-1");
    expect(emptied?.history).toBeUndefined();
    expect([emptied?.orderCount, emptied?.revenue]).toEqual([0, 0]);
  });

  it("keeps an order out when its cancellation arrived first", async () => {
    // Prepare
    const { store } = await newStore();
    const early = order("4001", 50, { status: "cancelled" });
    // Act and assess
    expect(await store.recordOrder(early)).toBe("removed");
    expect(await store.recordOrder({ ...early, status: "placed" })).toBe("already-removed");
    expect((await store.getContact("c-1"))?.history).toBeUndefined();
    expect((await store.getOrder("c-1", "4001"))?.status).toBe("cancelled");
  });

  it("records a batch with the outcomes one by one would give, the same order twice included", async () => {
    // Prepare
    const { store } = await newStore();
    const orders = Array.from({ length: 60 }, (_, i) => order(`5${String(i).padStart(3, "0")}`, 10 + i / 100, { contactId: `c-${i % 7}`, createdAt: `2024-03-${String(1 + (i % 28)).padStart(2, "0")}T10:00:00Z` }));
    // Act
    const outcomes = await store.recordOrders([...orders, orders[0]!, { ...orders[1]!, status: "refunded" }]);
    // Assess
    expect(outcomes.slice(0, 60)).toEqual(Array(60).fill("recorded"));
    expect(outcomes.slice(60)).toEqual(["duplicate", "removed"]);
    expect(await store.recordOrders(orders)).toEqual(orders.map((_, i) => (i === 1 ? "already-removed" : "duplicate")));
    for (let c = 0; c < 7; c++) {
      const mine = orders.filter((o, i) => o.contactId === `c-${c}` && i !== 1);
      expect((await store.getContact(`c-${c}`))?.history).toEqual(expectedHistory(mine));
    }
  });
});

describe("DynamoDbStore: 20 concurrent senders", () => {
  // 1,000 orders of 100 contacts, each sent once, 300 of them twice, by 20 senders at the same time:
  // half send one order a request (the HTTP API), half 50 a request (an import), so the exact and the
  // batched paths race each other on the same contacts.
  const contacts = 100;
  const distinct: OrderInput[] = [];
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 1000; i++) {
    distinct.push({
      id: `O${100000 + i}`,
      contactId: `c-${Math.floor(random() * contacts)}`,
      // Distinct minutes, so the reference history folds the orders in the same order as the store's.
      createdAt: new Date(Date.UTC(2023, 0, 1) + i * 7 * 60_000 * 60).toISOString(),
      total: Math.round(random() * 50_000) / 100,
      currency: "GBP",
      status: "placed",
    });
  }
  // Sender k sends the orders i with i % 20 = k, in order; a re-sent order goes to the next sender at
  // the same place in its list, so that both copies are in flight at about the same time.
  const senders: OrderInput[][] = Array.from({ length: 20 }, (_, k) => distinct.filter((_, i) => i % 20 === k));
  for (let n = 0; n < 300; n++) {
    const i = Math.floor(random() * distinct.length);
    const other = senders[((i % 20) + 1) % 20]!;
    other.splice(Math.min(other.length, Math.floor(i / 20)), 0, distinct[i]!);
  }

  let store: DynamoDbStore;
  let tableName: string;
  const outcomes: OrderOutcome[] = [];

  beforeAll(async () => {
    ({ store, tableName } = await newStore());
    await Promise.all(
      senders.map(async (mine, s) => {
        if (s % 2 === 0) for (const o of mine) outcomes.push(await store.recordOrder(o));
        else for (let i = 0; i < mine.length; i += 50) outcomes.push(...(await store.recordOrders(mine.slice(i, i + 50))));
      }),
    );
    await store.putContact("no-orders", { subscription: "never_subscribed" });
  });

  it("stores exactly the distinct orders, each counted once", async () => {
    // Act and assess
    expect(outcomes.filter((o) => o === "recorded")).toHaveLength(1000);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(300);
    expect(await countItems(tableName, "ORDER#")).toBe(1000);
  });

  it("leaves every contact's summary exact", async () => {
    // Assess: the orders the 20 senders recorded (beforeAll), contact by contact
    const byContact = new Map<string, OrderInput[]>();
    for (const o of distinct) byContact.set(o.contactId, [...(byContact.get(o.contactId) ?? []), o]);
    for (const [contactId, orders] of byContact) {
      const contact = await store.getContact(contactId);
      const expected = expectedHistory(orders)!;
      expect(contact?.history).toEqual(expected);
      expect(contact?.orderCount).toBe(orders.length);
      expect(contact?.revenue).toBeCloseTo(expected.revenue, 8);
    }
  });

  it("keeps refunded orders out when the refunds race re-sent copies of them", async () => {
    // Prepare
    const refunded = distinct.filter((_, i) => i % 10 === 3);
    // Act
    const [refunds, resends] = await Promise.all([
      Promise.all(refunded.map((o) => store.recordOrder({ ...o, status: "refunded" }))),
      store.recordOrders(refunded),
    ]);
    // Assess
    expect(refunds).toEqual(refunded.map(() => "removed"));
    expect(resends.every((o) => o === "duplicate" || o === "already-removed")).toBe(true);
    const kept = distinct.filter((_, i) => i % 10 !== 3);
    for (const contactId of new Set(distinct.map((o) => o.contactId))) {
      const mine = kept.filter((o) => o.contactId === contactId);
      const contact = await store.getContact(contactId);
      expect(contact?.history).toEqual(expectedHistory(mine));
      expect(contact?.orderCount).toBe(mine.length);
      expect(contact?.revenue).toBeCloseTo(mine.reduce((sum, o) => sum + o.total, 0), 8);
    }
  });

  it("scans every contact with orders exactly once over 4 segments", async () => {
    // Prepare
    const segments = await Promise.all(
      [0, 1, 2, 3].map(async (segment) => {
        const ids: string[] = [];
        for await (const page of store.scanHistories(segment, 4)) ids.push(...page.map((h) => h.contactId));
        return ids;
      }),
    );
    const all = segments.flat();
    const withOrders = new Set(distinct.map((o) => o.contactId));
    // Act and assess
    expect(all.length).toBe(withOrders.size);
    expect(new Set(all)).toEqual(withOrders); // the contact without orders is not there
    expect(segments.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
  });
});

describe("DynamoDbStore: contacts, events, scores", () => {
  it("replaces a profile without touching the contact's orders", async () => {
    // Prepare
    const { store } = await newStore();
    await store.putContact("c-1", { email: "ana@example.com", firstName: "Ana", subscription: "subscribed", consentAt: "2024-01-01T00:00:00Z", country: "ES" });
    await store.recordOrder(order("6001", 80));
    const { profile } = await store.putContact("c-1", { firstName: "Ana", subscription: "never_subscribed" });
    // Act
    const contact = await store.getContact("c-1");
    // Assess
    expect(contact?.profile).toEqual(profile);
    expect(contact?.profile?.email).toBeUndefined();
    expect(contact?.history?.orderCount).toBe(1);

    await store.putContact("c-1", { firstName: "Ana", subscription: "subscribed", consentAt: "2024-02-01T00:00:00Z" });
    await store.changeSubscription("c-1", { type: "opt-out", via: "one-click", at: "2024-06-01T12:00:00Z" });
    expect((await store.getContact("c-1"))?.profile).toMatchObject({ subscription: "unsubscribed", optedOutAt: "2024-06-01T12:00:00Z", optedOutVia: "one-click", firstName: "Ana" });
    expect((await store.getContact("c-1"))?.history?.orderCount).toBe(1);
  });

  it("reads a profile alone as getContact has it, without the orders it shares its item with", async () => {
    // Prepare
    const { store } = await newStore();
    await store.putContact("c-1", { email: "ana@example.com", firstName: "Ana", subscription: "subscribed", consentAt: "2024-01-01T00:00:00Z", country: "ES" });
    await store.recordOrder(order("6101", 80));
    await store.changeSubscription("c-1", { type: "opt-out", via: "one-click", at: "2024-06-01T12:00:00Z" });
    await store.recordOrder(order("6102", 20, { contactId: "orders-only" }));
    // Act
    const profile = await store.getContactProfile("c-1");
    // Assess
    expect(profile).toEqual((await store.getContact("c-1"))?.profile);
    expect(profile).toMatchObject({ contactId: "c-1", email: "ana@example.com", subscription: "unsubscribed", optedOutVia: "one-click" });
    expect(profile?.subscriptionHistory?.length).toBeGreaterThan(0);
    expect(await store.getContactProfile("orders-only")).toBeUndefined();
    expect(await store.getContactProfile("nobody")).toBeUndefined();
  });

  it("writes many profiles, leaving unchanged ones alone", async () => {
    // Prepare
    const { store } = await newStore();
    const rows = Array.from({ length: 130 }, (_, i) => ({ contactId: `p-${i}`, contact: { firstName: `N${i}`, subscription: "never_subscribed" as const } }));
    // Act and assess
    expect(new Set((await store.putContacts(rows)).map((w) => w.outcome))).toEqual(new Set(["created"]));
    const before = (await store.getContact("p-7"))?.profile?.updatedAt;
    const again = await store.putContacts([...rows.slice(0, 100), { contactId: "p-7", contact: { firstName: "Changed", subscription: "never_subscribed" } }]);
    expect(again.slice(0, 100).map((w) => w.outcome)).toEqual(Array(100).fill("unchanged"));
    expect(again[100]!.outcome).toBe("updated");
    const after = await store.getContact("p-7");
    expect(after?.profile?.firstName).toBe("Changed");
    expect((after?.profile?.updatedAt ?? "") >= (before ?? "")).toBe(true);
  });

  it("records an e-mail event once however often it is sent", async () => {
    // Prepare
    const { store, tableName } = await newStore();
    const event = { contactId: "c-1", type: "opened" as const, at: "2024-05-31T16:03:00+02:00", emailId: "reactivation-1" };
    // Act
    await store.recordEmailEvent(event);
    await store.recordEmailEvent(event);
    await store.recordEmailEvent({ ...event, emailId: "reactivation-2" });
    // Assess
    const { Items } = await client.send(new ScanCommand({ TableName: tableName }));
    expect(Items?.map((i) => i.SK).sort()).toEqual(["EVENT#2024-05-31T14:03:00.000Z#opened#reactivation-1", "EVENT#2024-05-31T14:03:00.000Z#opened#reactivation-2"]);
  });

  it("round-trips scores, in batches of 25", async () => {
    // Prepare
    const { store } = await newStore();
    const scores: ContactScores[] = Array.from({ length: 60 }, (_, i) =>
      contactScores({
        contactId: `s-${i}`,
        orderCount: 1 + (i % 4),
        firstOrderAt: "2024-01-01T10:00:00.000Z",
        lastOrderAt: "2024-04-01T10:00:00.000Z",
        historicClv: 100.5 + i,
        averageOrderValue: 50.25,
        averageDaysBetweenOrders: i % 4 === 0 ? null : 30.5,
        predictedOrders12m: i % 3 === 0 ? null : 1.234,
        predictedClv12m: i % 3 === 0 ? null : 62.0,
        totalClv: i % 3 === 0 ? null : 162.5 + i,
        pAlive: i % 3 === 0 ? null : 0.8,
        churnRisk: i % 3 === 0 ? null : 0.45,
        churnBand: i % 3 === 0 ? null : "medium",
        expectedNextOrderAt: i % 4 === 0 ? null : "2024-05-02",
        rfmRecency: 5,
        rfmFrequency: 3,
        rfmMonetary: 1,
        rfmGroup: "Loyal",
      }),
    );
    // Act
    await store.putScores(scores);
    // Assess
    for (const s of [scores[0]!, scores[26]!, scores[59]!]) {
      expect(await store.getScores(s.contactId)).toEqual({ ...s, scoredAt: expect.any(String) });
    }
    expect(await store.getScores("nobody")).toBeUndefined();
  });
});
