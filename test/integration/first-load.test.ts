import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { importOrders } from "../../functions/adapters/csv/import-csv.js";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { TableNotEmptyError, writeFirstLoad } from "../../functions/adapters/dynamodb/first-load.js";
import { StoreTable } from "../../functions/adapters/dynamodb/table.js";
import { demoContacts } from "../../functions/local/import/demo-contacts.js";
import { OrderFold } from "../../functions/local/import/order-fold.js";
import { useDynalite } from "../support/dynalite.js";

const dynalite = useDynalite("first-load");
const NOW = Date.parse("2024-06-07T09:00:00Z");

/** Orders of every kind an import meets: repeats, a re-sent order, an id reused for another order or contact, credit notes, cancellations, a refund sent under another contact. */
const ORDERS = [
  "order_id,customer_id,created_at,total,currency,status",
  "o-1,c-1,2024-01-02T10:00:00Z,20.10,EUR,placed",
  "o-2,c-1,2024-02-02T10:00:00Z,30.20,EUR,placed",
  "o-1,c-1,2024-01-02T10:00:00Z,20.10,EUR,placed",
  "o-1,c-1,2024-01-02T10:00:00Z,99.00,EUR,placed",
  "o-3,c-2,2024-03-02T10:00:00Z,15,EUR,placed",
  "o-3,c-2,2024-03-02T10:00:00Z,15,EUR,cancelled",
  "o-3,c-2,2024-03-02T10:00:00Z,15,EUR,placed",
  "o-4,c-2,2024-03-05T10:00:00Z,40,EUR,placed",
  "C-5,c-2,2024-03-06T10:00:00Z,-10.05,EUR,placed",
  "C-6,c-3,2024-03-06T10:00:00Z,-7,EUR,placed",
  "o-7,c-4,2024-04-01T10:00:00Z,12,EUR,refunded",
  "o-4,c-3,2024-03-05T10:00:00Z,40,EUR,placed",
  "o-2,c-9,2024-02-02T10:00:00Z,30.20,EUR,refunded",
];

/** The table's items of one kind (a first load writes no order items) without the time of the write, in key order. */
async function itemsOf(tableName: string, sk: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await dynalite.client().send(new ScanCommand({ TableName: tableName }));
  return Items.filter((i) => i.SK === sk)
    .map(({ updatedAt: _at, ...item }) => item)
    .sort((a, b) => String(a.PK).localeCompare(String(b.PK)));
}
const profiles = (tableName: string) => itemsOf(tableName, "PROFILE");
const claims = (tableName: string) => itemsOf(tableName, "CLAIMS");

describe("a first load", () => {
  it("leaves the profiles, order summaries and order id claims that importing the orders and then the contacts leaves, in an empty table", async () => {
    // Prepare: the same file imported into one table, folded in memory for another.
    const path = join(mkdtempSync(join(tmpdir(), "clv-first-load-")), "orders.csv");
    writeFileSync(path, ORDERS.join("\n") + "\n");
    const importedTable = (await dynalite.newStore()).tableName;
    const imported = { tableName: importedTable, store: new DynamoDbStore(dynalite.client(), importedTable, () => NOW) };
    const loaded = await dynalite.newStore();
    const fold = new OrderFold(() => NOW);
    const table = new StoreTable(dynalite.client(), loaded.tableName, () => NOW);

    // Act
    const byImport = await importOrders(imported.store, path, { storeCurrency: "EUR", now: () => NOW });
    const customers = (await profiles(imported.tableName)).filter((i) => Number(i.orderCount) > 0).map((i) => String(i.PK).slice("CONTACT#".length));
    await imported.store.putContacts(demoContacts(customers));
    const byFold = await importOrders(fold, path, { storeCurrency: "EUR", now: () => NOW });
    const made = new Map(demoContacts(customers).map((c) => [c.contactId, c.contact]));
    await writeFirstLoad(table, fold.contacts().map((c) => ({ ...c, ...(made.has(c.contactId) && { contact: made.get(c.contactId)! }) })));

    // Assess: the same report row by row, and the same items.
    expect(byFold).toEqual(byImport);
    expect(byFold).toMatchObject({ rows: 13, imported: 6, duplicates: 2, removed: 3, rejected: 2, cancellations: 2 });
    expect(await profiles(loaded.tableName)).toEqual(await profiles(imported.tableName));
    expect(await profiles(loaded.tableName)).toHaveLength(4);
    expect(await claims(loaded.tableName)).toEqual(await claims(imported.tableName));
    expect((await claims(loaded.tableName)).flatMap((item) => Object.keys(item).filter((k) => k.includes("#") && k !== "PK"))).toHaveLength(7);
  });

  it("writes the order ids' claims, so a later import of an id for another contact or with another total is refused and changes nothing", async () => {
    // Prepare: a first load of two orders.
    const { store, tableName } = await dynalite.newStore();
    const fold = new OrderFold(() => NOW);
    await fold.recordOrders([
      { id: "536365", contactId: "c-1", createdAt: "2024-01-02T10:00:00Z", total: 20, currency: "GBP", status: "placed" },
      { id: "536366", contactId: "c-2", createdAt: "2024-01-03T10:00:00Z", total: 30, currency: "GBP", status: "placed" },
    ]);
    await writeFirstLoad(new StoreTable(dynalite.client(), tableName, () => NOW), fold.contacts());
    const path = join(mkdtempSync(join(tmpdir(), "clv-first-load-")), "later.csv");
    writeFileSync(
      path,
      ["order_id,customer_id,created_at,total,currency", "536365,c-9,2024-01-02T10:00:00Z,20,GBP", "536366,c-2,2024-01-03T10:00:00Z,99,GBP", "536366,c-2,2024-01-03T10:00:00Z,30,GBP"].join("\n") + "\n",
    );

    // Act
    const report = await importOrders(store, path, { storeCurrency: "GBP", now: () => NOW });

    // Assess: what the user is told, and that nothing of the refused rows is stored.
    expect(report).toMatchObject({ rows: 3, imported: 0, duplicates: 1, rejected: 2 });
    expect(report.errors).toEqual([
      { row: 2, field: "order_id", message: "is already stored as another order (contactId: stored c-1, sent c-9): an order id is recorded once; nothing of this row was imported" },
      { row: 3, field: "order_id", message: "is already stored as another order (total: stored 30, sent 99): an order id is recorded once; nothing of this row was imported" },
    ]);
    expect(await store.getContact("c-9")).toBeUndefined();
    expect(await store.getContact("c-2")).toMatchObject({ orderCount: 1, revenue: 30 });
    expect(await store.getContact("c-1")).toMatchObject({ orderCount: 1, revenue: 20 });
  });

  it("frees the order ids of an erased contact it loaded, which has no order items, and keeps no claim naming it", async () => {
    // Prepare: a first load of three orders, two of them the erased contact's.
    const { store, tableName } = await dynalite.newStore();
    const fold = new OrderFold(() => NOW);
    await fold.recordOrders([
      { id: "536365", contactId: "gone", createdAt: "2024-01-02T10:00:00Z", total: 20, currency: "GBP", status: "placed" },
      { id: "536366", contactId: "kept", createdAt: "2024-01-03T10:00:00Z", total: 30, currency: "GBP", status: "placed" },
      { id: "C536367", contactId: "gone", createdAt: "2024-01-04T10:00:00Z", total: -5, currency: "GBP", status: "placed" },
    ]);
    await writeFirstLoad(new StoreTable(dynalite.client(), tableName, () => NOW), fold.contacts());

    // Act
    const report = await store.eraseContact("gone", []);
    const reused = await store.recordOrder({ id: "536365", contactId: "someone-else", createdAt: "2024-01-05T10:00:00Z", total: 8, currency: "GBP", status: "placed" });
    const taken = await store.recordOrder({ id: "536366", contactId: "someone-else", createdAt: "2024-01-03T10:00:00Z", total: 30, currency: "GBP", status: "placed" }).catch((e: Error) => e.name);

    // Assess
    expect(report).toMatchObject({ contactId: "gone" });
    expect(JSON.stringify(await claims(tableName))).not.toContain('"gone"');
    expect(reused).toBe("recorded");
    expect(taken).toBe("OrderConflictError");
    expect(await store.getContact("kept")).toMatchObject({ orderCount: 1, revenue: 30 });
  });

  it("frees the ids over 16 characters of an erased contact it loaded, which its summary names by a hash only, on every page", async () => {
    // Prepare: 620 orders with 30-character ids (two summary pages), one of them cancelled, and another contact's.
    const { store, tableName } = await dynalite.newStore();
    const fold = new OrderFold(() => NOW);
    const longId = (i: number) => `shop-order-${String(i).padStart(19, "0")}`;
    const orders = Array.from({ length: 620 }, (_, i) => ({ id: longId(i), contactId: "gone", createdAt: "2024-01-02T10:00:00Z", total: 1, currency: "GBP", status: "placed" as const }));
    await fold.recordOrders([...orders, { ...orders[7]!, status: "cancelled" }, { ...orders[0]!, id: longId(9999), contactId: "kept" }]);
    await writeFirstLoad(new StoreTable(dynalite.client(), tableName, () => NOW), fold.contacts());
    expect(await store.getContact("gone")).toMatchObject({ orderCount: 619 });

    // Act
    await store.eraseContact("gone", []);
    const reused = await store.recordOrders([0, 7, 499, 619].map((i) => ({ ...orders[i]!, contactId: "someone-else", total: 2 })));
    const taken = await store.recordOrder({ ...orders[0]!, id: longId(9999), contactId: "someone-else" }).catch((e: Error) => e.name);

    // Assess: every id the erased contact had is free, its claims gone; the other contact's is still its.
    expect(reused).toEqual(["recorded", "recorded", "recorded", "recorded"]);
    expect(JSON.stringify(await claims(tableName))).not.toContain('"gone"');
    expect(taken).toBe("OrderConflictError");
    expect(await store.getContact("someone-else")).toMatchObject({ orderCount: 4, revenue: 8 });
  });

  it("refuses a table that holds anything, and writes nothing to it", async () => {
    // Prepare
    const { store, tableName } = await dynalite.newStore();
    await store.recordOrder({ id: "o-1", contactId: "c-1", createdAt: "2024-01-02T10:00:00Z", total: 20, currency: "EUR", status: "placed" });
    const fold = new OrderFold(() => NOW);
    await fold.recordOrders([{ id: "o-9", contactId: "c-9", createdAt: "2024-01-02T10:00:00Z", total: 5, currency: "EUR", status: "placed" }]);

    // Act
    const error = await writeFirstLoad(new StoreTable(dynalite.client(), tableName), fold.contacts()).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TableNotEmptyError);
    expect((error as Error).message).toContain(tableName);
    expect(await store.getContact("c-9")).toBeUndefined();
  });
});
