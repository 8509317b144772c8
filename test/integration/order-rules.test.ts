import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importOrders } from "../../functions/adapters/csv/import-csv.js";
import { importUpload } from "../../functions/handlers/import-upload.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";
import { orderClaimKey, orderClaimSlot } from "../../functions/domain/store/table-keys.js";
import { startOrderApi } from "../support/order-api.js";

/**
 * Dates, money and the store's currency through each way in: the HTTP API on localhost, the CSV
 * import and the S3 upload. Each case asserts what the sender is told and that nothing was stored.
 */
const NOW = Date.parse("2024-06-10T12:00:00Z");

const badOrders: [string, Record<string, unknown>, string, RegExp][] = [
  // [what, the fields that differ from a good order, the field named, the message]
  ["30 February", { createdAt: "2024-02-30" }, "createdAt", /not a date: 2024-02 has 29 days/],
  ["year 1", { createdAt: "0001-01-01" }, "createdAt", /before 1995-01-01/],
  ["year 1900", { createdAt: "1900-01-01T00:00:00Z" }, "createdAt", /before 1995-01-01/],
  ["year 11", { createdAt: "0011-06-01" }, "createdAt", /before 1995-01-01/],
  ["two days ahead", { createdAt: "2024-06-12T13:00:00Z" }, "createdAt", /in the future/],
  ["the smallest double", { total: 5e-324 }, "total", /has more decimals than GBP has/],
  ["1e-40", { total: 1e-40 }, "total", /has more decimals than GBP has/],
  ["half a penny", { total: 12.345 }, "total", /send it in 2 decimals/],
  ["a euro order without rate", { currency: "EUR" }, "currency", /is EUR but the store counts in GBP: send exchangeRate/],
  ["a yen order without rate", { currency: "JPY", total: 10_000 }, "currency", /is JPY but the store counts in GBP/],
  ["a 129-character id", { id: "x".repeat(129) }, "id", /^at most 128 characters$/],
];
const good = { contactId: "ann", createdAt: "2024-05-31T10:00:00Z", total: 30, currency: "GBP" };

describe("order rules through the HTTP API on localhost", () => {
  let local: LocalStore;
  let api: Awaited<ReturnType<typeof startOrderApi>>;
  beforeAll(async () => {
    local = await openLocalStore();
    api = await startOrderApi(local.store, NOW);
  });
  afterAll(async () => {
    api.close();
    await local.close();
  });
  const post = (body: unknown) => api.postOrder(body);

  it.each(badOrders)("answers 400 for %s, naming the field, and stores nothing", async (_what, change, field, message) => {
    // Prepare
    const id = `bad-${field}-${Math.random().toString(36).slice(2, 8)}`;
    // Act
    const answer = await post({ id, ...good, contactId: "bad-sender", ...change });
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.fields).toHaveLength(1);
    expect(answer.body.fields![0]!.field).toBe(field);
    expect(answer.body.fields![0]!.message).toMatch(message);
    expect(await local.store.getContact("bad-sender")).toBeUndefined();
  });

  it("says a string total is a string, and never answers 500 to any of these", async () => {
    const answer = await post({ id: "s-1", ...good, total: "30" });
    expect(answer).toEqual({ status: 400, body: { error: "invalid body", fields: [{ field: "total", message: "expected a number, got a string" }] } });
    const unknownField = await post({ id: "s-2", ...good, discount: 5 });
    expect(unknownField.body.fields).toEqual([{ field: "discount", message: "is not a field of this body" }]);
    expect((await post([good])).body.fields).toEqual([{ field: "(body)", message: "expected an object, got an array" }]);
  });

  it("counts 100 EUR + 100 GBP + 10,000 JPY in pounds, and answers with the total it counted", async () => {
    // Act
    const answers = [
      await post({ id: "m-eur", ...good, contactId: "multi", total: 100, currency: "EUR", exchangeRate: 0.85 }),
      await post({ id: "m-gbp", ...good, contactId: "multi", total: 100 }),
      await post({ id: "m-jpy", ...good, contactId: "multi", total: 10_000, currency: "JPY", totalInStoreCurrency: 52 }),
    ];
    // Assess
    expect(answers.map((a) => [a.status, a.body.total, a.body.currency])).toEqual([
      [201, 85, "GBP"],
      [201, 100, "GBP"],
      [201, 52, "GBP"],
    ]);
    expect(await local.store.getContact("multi")).toMatchObject({ revenue: 237, history: { orderCount: 3, revenue: 237 } });
    expect(await local.store.getOrder("multi", "m-jpy")).toMatchObject({ total: 52, currency: "GBP" });
  });

  it("answers GET /contacts/{id} with the currency its amounts are in", async () => {
    // Prepare
    await post({ id: "v-1", ...good, contactId: "viewed", total: 40 });
    // Act
    const answer = await api.send("/contacts/viewed");
    // Assess
    expect(answer).toMatchObject({ status: 200, body: { contactId: "viewed", orderCount: 1, revenue: 40, currency: "GBP" } });
  });
});

describe("order rules in the CSV import and the S3 upload", () => {
  const header = "order_id,customer_id,created_at,total,currency,exchange_rate";
  const cell = (v: unknown) => (v === undefined ? "" : String(v));
  const lines = [
    header,
    "g-1,ann,2024-05-31T10:00:00Z,30,GBP,",
    ...badOrders.map(([, change], i) => {
      const o = { id: `b-${i}`, ...good, contactId: "bad-sender", ...change };
      return [o.id, o.contactId, o.createdAt, o.total, o.currency, ""].map(cell).join(",");
    }),
    "g-2,eve,2024-05-31T10:00:00Z,10000,JPY,0.0052",
  ];
  const csv = lines.join("\n") + "\n";
  const columnOf: Record<string, string> = { createdAt: "created_at", total: "total", currency: "currency", id: "order_id" };
  const expectedErrors = badOrders.map(([, , field, message], i) => ({ row: i + 3, field: columnOf[field], message: expect.stringMatching(message) }));

  it("the CSV import refuses each bad row by row and column, and stores only the good ones", async () => {
    const local = await openLocalStore();
    try {
      // Prepare
      const path = join(mkdtempSync(join(tmpdir(), "clv-rules-")), "orders.csv");
      writeFileSync(path, csv);
      // Act
      const report = await importOrders(local.store, path, { storeCurrency: "GBP", now: () => NOW });
      // Assess
      expect(report).toMatchObject({ rows: lines.length - 1, imported: 2, rejected: badOrders.length });
      expect(report.errors).toEqual(expectedErrors);
      expect(await local.store.getContact("bad-sender")).toBeUndefined();
      expect(await local.store.getContact("eve")).toMatchObject({ revenue: 52 });
      expect(await local.store.getOrder("eve", "g-2")).toMatchObject({ total: 52, currency: "GBP" });
    } finally {
      await local.close();
    }
  });

  it("the S3 upload applies the same rules with the deployment's currency, and its report says so", async () => {
    const local = await openLocalStore();
    const s3 = mockClient(S3Client);
    try {
      s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([csv]) }) as never);
      s3.on(PutObjectCommand).resolves({});
      const report = await importUpload(
        { s3: { bucket: { name: "uploads" }, object: { key: "imports/orders/june.csv", size: csv.length } } },
        { s3: new S3Client({}), store: local.store, orderRules: { storeCurrency: "GBP", now: () => NOW } },
      );
      expect(report).toMatchObject({ rows: lines.length - 1, imported: 2, rejected: badOrders.length });
      expect(report.errors).toEqual(expectedErrors);
      expect(JSON.parse(String(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body))).toMatchObject({ rejected: report.rejected });
      expect(await local.store.getContact("bad-sender")).toBeUndefined();
      expect(await local.store.getContact("eve")).toMatchObject({ revenue: 52 });
    } finally {
      s3.restore();
      await local.close();
    }
  });
});

describe("an order id is one order", () => {
  let local: LocalStore;
  let api: Awaited<ReturnType<typeof startOrderApi>>;
  beforeAll(async () => {
    local = await openLocalStore();
    api = await startOrderApi(local.store, NOW);
  });
  afterAll(async () => {
    api.close();
    await local.close();
  });
  const post = (body: unknown) => api.postOrder(body);
  const first = { id: "o-10", contactId: "ann", createdAt: "2024-05-31T10:00:00Z", total: 10, currency: "GBP" };

  it("answers 200 to an identical re-send, and 409 naming each field that differs, changing nothing", async () => {
    // Prepare
    expect((await post(first)).status).toBe(201);
    // Act, Assess: the same order again (its date written another way) is the same order
    expect(await post({ ...first, createdAt: "2024-05-31T11:00:00+01:00" })).toMatchObject({ status: 200, body: { outcome: "duplicate" } });
    const other = await post({ ...first, total: 99, createdAt: "2024-06-01T10:00:00Z" });
    expect(other.status).toBe(409);
    expect(other.body.fields).toEqual([
      { field: "total", stored: 10, sent: 99 },
      { field: "createdAt", stored: "2024-05-31T10:00:00Z", sent: "2024-06-01T10:00:00Z" },
    ]);
    expect(String(other.body.error)).toMatch(/already stored as another order .* nothing was changed/);
    const currency = await post({ ...first, currency: "EUR", exchangeRate: 1 / 1.25, total: 12.5 });
    expect(currency.status).toBe(409);
    expect(currency.body.fields).toEqual([
      { field: "currency", stored: "GBP", sent: "EUR" },
      { field: "total", stored: 10, sent: 12.5 },
    ]);
    expect(await local.store.getContact("ann")).toMatchObject({ revenue: 10, history: { orderCount: 1 } });
    expect(await local.store.getOrder("ann", "o-10")).toMatchObject({ total: 10, createdAt: "2024-05-31T10:00:00Z", status: "placed" });
  });

  it("still takes a cancellation of the order (a status is no difference), and partial refunds as credit notes, each once", async () => {
    expect((await post({ ...first, id: "o-11", total: 80 })).status).toBe(201);
    expect((await post({ ...first, id: "o-11/refund-1", total: -20 })).status).toBe(201);
    expect((await post({ ...first, id: "o-11/refund-1", total: -20 })).status).toBe(200);
    expect((await post({ ...first, id: "o-11/refund-2", total: -15.5 })).status).toBe(201);
    expect(await local.store.getContact("ann")).toMatchObject({ revenue: 10 + 80 - 20 - 15.5, history: { orderCount: 2, revenue: 54.5 } });
    expect(await post({ ...first, status: "cancelled" })).toMatchObject({ status: 200, body: { outcome: "removed" } });
    expect(await local.store.getContact("ann")).toMatchObject({ revenue: 44.5, history: { orderCount: 1 } });
  });

  it("the CSV import and the S3 upload refuse a row that reuses an id for another order, naming the row", async () => {
    // Prepare
    const path = join(mkdtempSync(join(tmpdir(), "clv-conflict-")), "orders.csv");
    writeFileSync(path, ["order_id,customer_id,created_at,total,currency", "p-10,cat,2024-05-31T10:00:00Z,10,GBP", "p-10,cat,2024-05-31T10:00:00Z,99,GBP", "p-20,cat,2024-05-30,5,GBP"].join("\n"));
    // Act
    const report = await importOrders(local.store, path, { storeCurrency: "GBP", now: () => NOW });
    // Assess
    expect(report).toMatchObject({ rows: 3, imported: 2, duplicates: 0, rejected: 1 });
    expect(report.errors).toEqual([{ row: 3, field: "order_id", message: expect.stringMatching(/already stored as another order \(total: stored 10, sent 99\)/) }]);
    expect(await local.store.getOrder("cat", "p-10")).toMatchObject({ total: 10 });
    expect(await local.store.getContact("cat")).toMatchObject({ revenue: 15 });
    const s3 = mockClient(S3Client);
    try {
      const csv = ["order_id,customer_id,created_at,total,currency", "p-20,cat,2024-05-30,6,GBP"].join("\n");
      s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([csv]) }) as never);
      s3.on(PutObjectCommand).resolves({});
      const upload = await importUpload({ s3: { bucket: { name: "u" }, object: { key: "imports/orders/x.csv" } } }, { s3: new S3Client({}), store: local.store, orderRules: { storeCurrency: "GBP", now: () => NOW } });
      expect(upload).toMatchObject({ rejected: 1, errors: [{ row: 2, field: "order_id" }] });
      expect(await local.store.getOrder("cat", "p-20")).toMatchObject({ total: 5 });
      expect(await local.store.getContact("cat")).toMatchObject({ revenue: 15 });
    } finally {
      s3.restore();
    }
  });

  it("counts an order id for one contact in the whole store: another contact under it is a 409 naming contactId, and nothing changes", async () => {
    // Prepare
    expect((await post({ ...first, id: "w-1", contactId: "wil" })).status).toBe(201);
    // Act
    const other = await post({ ...first, id: "w-1", contactId: "zoe" });
    const otherAndTotal = await post({ ...first, id: "w-1", contactId: "zoe", total: 11 });
    const again = await post({ ...first, id: "w-1", contactId: "wil" });
    // Assess
    expect(other).toMatchObject({ status: 409, body: { orderId: "w-1", fields: [{ field: "contactId", stored: "wil", sent: "zoe" }] } });
    expect(String(other.body.error)).toMatch(/already stored as another order \(contactId: stored wil, sent zoe\)/);
    expect(otherAndTotal.body.fields).toEqual([
      { field: "contactId", stored: "wil", sent: "zoe" },
      { field: "total", stored: 10, sent: 11 },
    ]);
    expect(again).toMatchObject({ status: 200, body: { outcome: "duplicate" } });
    expect(await local.store.getContact("zoe")).toBeUndefined();
    expect(await local.store.getOrder("zoe", "w-1")).toBeUndefined();
    expect(await local.store.getContact("wil")).toMatchObject({ revenue: 10, history: { orderCount: 1 } });
  });

  it("refunds the order of the contact that owns the id, whichever contact the refund names", async () => {
    // Prepare
    expect((await post({ ...first, id: "r-1", contactId: "rae", total: 40 })).status).toBe(201);
    expect((await post({ ...first, id: "r-2", contactId: "rae", total: 5 })).status).toBe(201);
    // Act
    const refund = await post({ ...first, id: "r-1", contactId: "someone-else", total: 40, status: "refunded" });
    // Assess
    expect(refund).toMatchObject({ status: 200, body: { outcome: "removed" } });
    expect(await local.store.getContact("rae")).toMatchObject({ revenue: 5, history: { orderCount: 1 } });
    expect(await local.store.getOrder("rae", "r-1")).toMatchObject({ status: "refunded" });
    expect(await local.store.getContact("someone-else")).toBeUndefined();
    expect(await local.store.getOrder("someone-else", "r-1")).toBeUndefined();
  });

  it("finishes an order whose id was claimed before a crash, when it is sent again; another contact still cannot take the id", async () => {
    // Prepare: the claim written, then the process died before the contact's writes.
    const order = { ...first, id: "k-1", contactId: "kim", total: 25 };
    await local.client.send(new PutCommand({ TableName: local.tableName, Item: { ...orderClaimKey("k-1"), [orderClaimSlot("k-1")]: { orderId: "k-1", contactId: "kim", total: 25, currency: "GBP", createdAt: first.createdAt, claimedAt: first.createdAt } } }));
    // Act
    const taken = await post({ ...order, contactId: "lee" });
    const retried = await post(order);
    const retriedAgain = await post(order);
    // Assess
    expect(taken.status).toBe(409);
    expect(retried).toMatchObject({ status: 201, body: { outcome: "recorded" } });
    expect(retriedAgain).toMatchObject({ status: 200, body: { outcome: "duplicate" } });
    expect(await local.store.getContact("kim")).toMatchObject({ revenue: 25, history: { orderCount: 1 } });
    expect(await local.store.getContact("lee")).toBeUndefined();
  });

  it("frees a contact's order ids when the contact is erased", async () => {
    // Prepare
    expect((await post({ ...first, id: "e-1", contactId: "eli", total: 7 })).status).toBe(201);
    const erased = await api.send("/contacts/eli", undefined, "DELETE");
    expect(erased.status).toBe(200);
    // Act
    const reused = await post({ ...first, id: "e-1", contactId: "fay", total: 8 });
    // Assess
    expect(reused).toMatchObject({ status: 201, body: { outcome: "recorded" } });
    expect(await local.store.getContact("fay")).toMatchObject({ revenue: 8, history: { orderCount: 1 } });
    expect(await local.store.getContact("eli")).toBeUndefined();
  });

  it.each([
    ["one at a time", 1],
    ["in a batch", 30],
  ])("the CSV import and the S3 upload refuse a row that reuses another contact's order id, naming the row and contactId, and import the rest (%s)", async (_how, padding) => {
    // Prepare: padding rows of other contacts push the chunk to the batch path (25 orders or more).
    const pad = Array.from({ length: padding }, (_, i) => `pad-${padding}-${i},pad-${i % 3},2024-05-01,1,GBP`);
    const path = join(mkdtempSync(join(tmpdir(), "clv-store-wide-")), "orders.csv");
    writeFileSync(path, ["order_id,customer_id,created_at,total,currency", `x-${padding},ivy-${padding},2024-05-31T10:00:00Z,10,GBP`, `x-${padding},jon-${padding},2024-05-31T10:00:00Z,10,GBP`, ...pad, `y-${padding},jon-${padding},2024-05-30,5,GBP`].join("\n"));
    // Act
    const report = await importOrders(local.store, path, { storeCurrency: "GBP", now: () => NOW });
    // Assess
    expect(report).toMatchObject({ rows: 3 + padding, imported: 2 + padding, rejected: 1 });
    expect(report.errors).toEqual([{ row: 3, field: "order_id", message: expect.stringMatching(/already stored as another order \(contactId: stored ivy-\d+, sent jon-\d+\)/) }]);
    expect(await local.store.getContact(`ivy-${padding}`)).toMatchObject({ revenue: 10 });
    expect(await local.store.getContact(`jon-${padding}`)).toMatchObject({ revenue: 5, history: { orderCount: 1 } });
    expect(await local.store.getOrder(`jon-${padding}`, `x-${padding}`)).toBeUndefined();
    const s3 = mockClient(S3Client);
    try {
      const csv = ["order_id,customer_id,created_at,total,currency", `x-${padding},kay-${padding},2024-05-31T10:00:00Z,10,GBP`, `z-${padding},kay-${padding},2024-05-29,3,GBP`].join("\n");
      s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([csv]) }) as never);
      s3.on(PutObjectCommand).resolves({});
      const upload = await importUpload({ s3: { bucket: { name: "u" }, object: { key: "imports/orders/y.csv" } } }, { s3: new S3Client({}), store: local.store, orderRules: { storeCurrency: "GBP", now: () => NOW } });
      expect(upload).toMatchObject({ imported: 1, rejected: 1, errors: [{ row: 2, field: "order_id", message: expect.stringMatching(/contactId: stored ivy-\d+, sent kay-\d+/) }] });
      expect(await local.store.getContact(`kay-${padding}`)).toMatchObject({ revenue: 3, history: { orderCount: 1 } });
      expect(await local.store.getContact(`ivy-${padding}`)).toMatchObject({ revenue: 10 });
    } finally {
      s3.restore();
    }
  });
});

describe("a contact whose order summary is full, through the HTTP API", () => {
  it("answers 422 naming contactId, where a 500 would say nothing", async () => {
    // Prepare: a store that answers as DynamoDbStore does past the 400 KB item limit.
    const store = { recordOrder: async () => "summary-full" } as unknown as LocalStore["store"];
    const api = await startOrderApi(store, NOW);
    try {
      // Act
      const answer = await api.postOrder({ id: "f-1", ...good, contactId: "wholesaler" });
      // Assess
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ orderId: "f-1", error: expect.stringMatching(/order summary of contact wholesaler is full .*stored but not counted/), fields: [{ field: "contactId" }] });
    } finally {
      api.close();
    }
  });
});
