import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchGetCommand, GetCommand, QueryCommand, paginateScan, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { importOrders, type ImportReport } from "../../functions/adapters/csv/import-csv.js";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { SUMMARY_PAGE_ENTRIES } from "../../functions/adapters/dynamodb/order-summary.js";
import type { ContactHistory } from "../../functions/domain/clv/order-history.js";
import type { OrderInput } from "../../functions/domain/store/order.js";
import { countedAttribute, removedAttribute } from "../../functions/domain/store/table-keys.js";
import { runNightlyLocally } from "../../functions/local/local-nightly.js";
import { useDynalite } from "../support/dynalite.js";

/*
 * A wholesaler with 25,000 orders: some 1 MB of order summary, two and a half times what one 400 KB item
 * held (about 10,000 orders) before summaries spilled into pages. Imported once through the CSV import,
 * then read back by every reader of a contact, refunded, re-sent and erased.
 */
const dynalite = useDynalite("pages");
const NOW = Date.parse("2026-01-01T00:00:00Z");
const ORDERS = 25_000;
/** 100 characters, numbered at the end as a platform numbers its orders. */
const orderId = (i: number) => `wholesale-eu-`.padEnd(91, "x") + String(i).padStart(9, "0");
const createdAt = (i: number) => new Date(Date.UTC(2021, 0, 1) + (i % 1_500) * 86_400_000 + (i % 7) * 3_600_000).toISOString();
const order = (i: number, status: OrderInput["status"] = "placed"): OrderInput => ({ id: orderId(i), contactId: "wholesaler", createdAt: createdAt(i), total: 2.5, currency: "GBP", status });

/** Every item of a partition, by Query. */
async function partition(tableName: string, contactId: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynalite.client().send(new QueryCommand({ TableName: tableName, KeyConditionExpression: "PK = :pk", ExpressionAttributeValues: { ":pk": `CONTACT#${contactId}` }, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/**
 * The store's client, counting every request by operation, and the items and bytes (as JSON) that
 * reads hand back.
 */
function countingClient(client: DynamoDBDocumentClient) {
  const counts = { requests: new Map<string, number>(), itemsRead: 0, bytesRead: 0 };
  const send = async (command: { constructor: { name: string } }) => {
    const operation = command.constructor.name.replace(/Command$/, "");
    counts.requests.set(operation, (counts.requests.get(operation) ?? 0) + 1);
    const output = (await client.send(command as never)) as { Item?: unknown; Responses?: Record<string, unknown[]>; Items?: unknown[] };
    if (command instanceof GetCommand || command instanceof BatchGetCommand || command instanceof QueryCommand) {
      const items = [...(output.Item ? [output.Item] : []), ...Object.values(output.Responses ?? {}).flat(), ...(output.Items ?? [])];
      counts.itemsRead += items.length;
      counts.bytesRead += items.reduce((sum: number, item) => sum + JSON.stringify(item).length, 0);
    }
    return output;
  };
  return { counts, client: new Proxy(client, { get: (target, name) => (name === "send" ? send : Reflect.get(target, name)) }) };
}

const summaryPages = (items: Record<string, unknown>[]) => items.filter((i) => i.SK === "PROFILE" || String(i.SK).startsWith("SUMMARY#"));
const entryNames = (item: Record<string, unknown>, prefix: string) => Object.keys(item).filter((k) => k.startsWith(prefix));

describe("a contact with 25,000 orders", () => {
  let store: DynamoDbStore;
  let tableName: string;
  let first: ImportReport;
  let again: ImportReport;

  beforeAll(async () => {
    // Prepare: the wholesaler's orders and two small contacts after them, in one file.
    ({ tableName } = await dynalite.newStore());
    store = new DynamoDbStore(dynalite.client(), tableName, () => NOW);
    const path = join(mkdtempSync(join(tmpdir(), "clv-pages-")), "orders.csv");
    writeFileSync(
      path,
      [
        "order_id,customer_id,created_at,total,currency",
        ...Array.from({ length: ORDERS }, (_, i) => `${orderId(i)},wholesaler,${createdAt(i)},2.5,GBP`),
        "after-1,small-1,2024-01-01,10,GBP",
        "after-2,small-2,2024-01-02,20,GBP",
      ].join("\n") + "\n",
    );
    // Act: imported, and imported again.
    first = await importOrders(store, path, { storeCurrency: "GBP", now: () => NOW });
    again = await importOrders(store, path, { storeCurrency: "GBP", now: () => NOW });
  }, 900_000); // a guard against a hung import, not a speed check

  it("counts every order once, in summary pages of bounded size, and reports a second import as duplicates", async () => {
    // Assess: what the user is told
    expect(first).toMatchObject({ rows: ORDERS + 2, imported: ORDERS + 2, duplicates: 0, rejected: 0, errors: [] });
    expect(again).toMatchObject({ rows: ORDERS + 2, imported: 0, duplicates: ORDERS + 2, rejected: 0, errors: [] });
    // Assess: what is stored — each order in exactly one page, no page past its entries or 40 KB, every page but the last sealed.
    const pages = summaryPages(await partition(tableName, "wholesaler"));
    const profile = pages.find((p) => p.SK === "PROFILE")!;
    expect(pages.length).toBeGreaterThanOrEqual(ORDERS / SUMMARY_PAGE_ENTRIES);
    expect(profile.summaryPages).toBe(pages.length - 1);
    const counted = pages.flatMap((p) => entryNames(p, "o#"));
    expect(counted).toHaveLength(ORDERS);
    expect(new Set(counted).size).toBe(ORDERS);
    for (const page of pages) {
      expect(entryNames(page, "o#").length).toBeLessThanOrEqual(SUMMARY_PAGE_ENTRIES);
      expect(JSON.stringify(page).length).toBeLessThan(40_000);
    }
    expect(pages.filter((p) => p.summarySealed !== true)).toHaveLength(1);
    expect(pages.reduce((sum, p) => sum + Number(p.orderCount ?? 0), 0)).toBe(ORDERS);
    expect(await store.getContact("small-2")).toMatchObject({ orderCount: 1, revenue: 20 });
  });

  it("shows every order in the contact's figures, its history as the night reads it, and its scores", async () => {
    // Act
    const contact = await store.getContact("wholesaler");
    const histories = new Map<string, ContactHistory>();
    for await (const page of store.scanHistories()) for (const h of page) histories.set(h.contactId, h);
    const [state] = await store.getContactStates(["wholesaler"]);
    await runNightlyLocally(store, NOW);
    const view = await store.getContactView("wholesaler", []);

    // Assess
    expect(contact).toMatchObject({ orderCount: ORDERS, revenue: 62_500, history: { orderCount: ORDERS, revenue: 62_500 } });
    expect(contact!.history!.purchaseDays).toHaveLength(1_500);
    expect(histories.get("wholesaler")).toEqual(contact!.history);
    expect([...histories.keys()].sort()).toEqual(["small-1", "small-2", "wholesaler"]);
    expect(state?.history).toEqual(contact!.history);
    expect(view).toMatchObject({ orderCount: ORDERS, revenue: 62_500, scores: { orderCount: ORDERS, historicClv: 62_500 } });
    const states: string[] = [];
    for await (const page of store.scanContactStates()) for (const s of page) if (s.history?.orderCount === ORDERS) states.push(s.contactId);
    expect(states).toEqual(["wholesaler"]);
  });

  it("takes a refund of an order in a sealed page and a cancellation of an order never seen out of the figures, once each, and counts a new order", async () => {
    // Act: order 0 is in PROFILE, sealed long ago; the last order is in the open page.
    const outcomes = [
      await store.recordOrder(order(0, "refunded")),
      await store.recordOrder(order(0, "refunded")),
      await store.recordOrder(order(0)),
      await store.recordOrder({ ...order(0, "cancelled"), id: "never-seen-1" }),
      await store.recordOrder({ ...order(0), id: "never-seen-1" }),
      await store.recordOrder(order(ORDERS - 1)),
      await store.recordOrder(order(1_234)),
      await store.recordOrder({ ...order(0), id: "new-1", total: 10 }),
    ];

    // Assess
    expect(outcomes).toEqual(["removed", "already-removed", "already-removed", "removed", "already-removed", "duplicate", "duplicate", "recorded"]);
    expect(await store.getContact("wholesaler")).toMatchObject({ orderCount: ORDERS, revenue: 62_510 - 2.5, history: { orderCount: ORDERS } });
    const pages = summaryPages(await partition(tableName, "wholesaler"));
    expect(pages.flatMap((p) => entryNames(p, "o#"))).toHaveLength(ORDERS);
    // The refund is marked where its order was counted; the order never seen, in the open page.
    const profile = pages.find((p) => p.SK === "PROFILE")!;
    expect(Object.keys(profile)).toContain(removedAttribute(orderId(0)));
    expect(Object.keys(profile)).not.toContain(countedAttribute(orderId(0)));
    expect(pages.filter((p) => removedAttribute("never-seen-1") in p).map((p) => p.summarySealed)).toEqual([undefined]);
  });

  it("reads a few bytes of its summary for one order, new, re-sent or refunded, where its pages are some 1 MB whole", async () => {
    // Prepare
    const { counts, client } = countingClient(dynalite.client());
    const counting = new DynamoDbStore(client, tableName, () => NOW);
    const wholePages = summaryPages(await partition(tableName, "wholesaler")).reduce((sum, page) => sum + JSON.stringify(page).length, 0);
    const reads = async (send: () => Promise<unknown>) => {
      counts.itemsRead = counts.bytesRead = 0;
      counts.requests.clear();
      const outcome = await send();
      return { outcome, items: counts.itemsRead, bytes: counts.bytesRead, requests: [...counts.requests.values()].reduce((a, b) => a + b, 0) };
    };

    // Act
    const fresh = await reads(() => counting.recordOrder({ ...order(0), id: "new-2", total: 4 }));
    const resent = await reads(() => counting.recordOrder(order(20_000)));
    const refund = await reads(() => counting.recordOrder(order(20_001, "refunded")));

    // Assess: a new order reads PROFILE's page number alone; a re-sent or refunded one, its entries in each page.
    expect(wholePages).toBeGreaterThan(1_000_000);
    expect(fresh).toMatchObject({ outcome: "recorded", items: 1 });
    expect(fresh.bytes).toBeLessThan(200);
    expect(fresh.requests).toBeLessThanOrEqual(4);
    expect(resent).toMatchObject({ outcome: "duplicate" });
    expect(refund).toMatchObject({ outcome: "removed" });
    for (const { bytes, requests } of [resent, refund]) {
      expect(bytes).toBeLessThan(10_000);
      expect(requests).toBeLessThanOrEqual(10);
    }
    expect(await store.getContact("wholesaler")).toMatchObject({ orderCount: ORDERS, revenue: 62_510 - 2.5 + 4 - 2.5 });
  });

  it("erases the contact: every summary page is deleted with it, and the anonymous id keeps the figures", async () => {
    // Act
    const { counts, client } = countingClient(dynalite.client());
    const report = await new DynamoDbStore(client, tableName, () => NOW).eraseContact("wholesaler", []);

    // Assess
    expect(report).toMatchObject({ contactId: "wholesaler", ordersKept: ORDERS + 3 });
    // Its orders are copied and deleted 25 to a BatchWriteItem, not one request each.
    expect(counts.requests.get("Put") ?? 0).toBeLessThanOrEqual(3);
    expect(counts.requests.get("Delete") ?? 0).toBe(0);
    expect(counts.requests.get("BatchWrite")).toBeLessThanOrEqual(Math.ceil((2 * (ORDERS + 3) + 2 * ORDERS / SUMMARY_PAGE_ENTRIES) / 25) + 10);
    expect(await partition(tableName, "wholesaler")).toEqual([]);
    expect(await store.getContact("wholesaler")).toBeUndefined();
    const Items: Record<string, unknown>[] = [];
    const scan = { TableName: tableName, FilterExpression: "SK = :profile AND attribute_exists(summaryPages)", ExpressionAttributeValues: { ":profile": "PROFILE" } };
    for await (const page of paginateScan({ client: dynalite.client() }, scan)) Items.push(...(page.Items ?? []));
    expect(Items).toHaveLength(1);
    const anonymousId = String(Items[0]!.PK).slice("CONTACT#".length);
    expect(anonymousId).not.toBe("wholesaler");
    expect(await store.getContact(anonymousId)).toMatchObject({ orderCount: ORDERS, revenue: 62_510 - 2.5 + 4 - 2.5, history: { orderCount: ORDERS } });
    // Its order ids are free again: the same id for another contact is a new order.
    expect(await store.recordOrder({ ...order(5), contactId: "someone-else" })).toBe("recorded");
  });
});
