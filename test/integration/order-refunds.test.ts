import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importOrders } from "../../functions/adapters/csv/import-csv.js";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { writeFirstLoad } from "../../functions/adapters/dynamodb/first-load.js";
import { StoreTable } from "../../functions/adapters/dynamodb/table.js";
import { OrderFold } from "../../functions/local/import/order-fold.js";
import { summarize, dayNumber, type ContactHistory } from "../../functions/domain/clv/order-history.js";
import type { OrderInput } from "../../functions/domain/store/order.js";
import type { OrderOutcome } from "../../functions/domain/store/ports.js";
import { CONTENDED_TRIES, type RefundChange } from "../../functions/domain/store/record-order.js";
import { countedAttribute, profileKey } from "../../functions/domain/store/table-keys.js";
import { importUpload } from "../../functions/handlers/import-upload.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";
import { useDynalite } from "../support/dynalite.js";
import { startOrderApi } from "../support/order-api.js";

/*
 * Partial refunds sent as the order's refund to date (`refundedAmount`, cumulative, as Shopify's and
 * WooCommerce's order webhooks send it), through each way in: the HTTP API on localhost, the CSV
 * import, the S3 upload, and many senders at once. Each asserts what is stored and what the sender is told.
 */
const NOW = Date.parse("2024-06-10T12:00:00Z");
const order = { id: "o-1", contactId: "ann", createdAt: "2024-05-31T10:00:00Z", total: 20, currency: "GBP" };

describe("refunds to date through the HTTP API on localhost", () => {
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
  const getContact = async (id: string) => (await api.send(`/contacts/${id}`)).body;

  it("lowers the revenue by each larger refund to date once; the same again is a duplicate, a smaller one a late webhook that changes nothing", async () => {
    // Prepare
    expect((await post(order)).status).toBe(201);
    expect((await post({ ...order, id: "o-2", total: 10, createdAt: "2024-06-01T10:00:00Z" })).status).toBe(201);

    // Act: refunded 3 to date, sent twice; then an older webhook (2) after it; then 5 to date.
    const first = await post({ ...order, refundedAmount: 3 });
    const again = await post({ ...order, refundedAmount: 3 });
    const late = await post({ ...order, refundedAmount: 2 });
    const afterFirst = await getContact("ann");
    const more = await post({ ...order, refundedAmount: 5 });
    const plain = await post(order);

    // Assess: what the sender is told
    expect(first).toEqual({ status: 200, body: { orderId: "o-1", outcome: "refunded", total: 20, currency: "GBP", status: "placed", refundedAmount: 3, netTotal: 17, refunded: 3, message: expect.stringMatching(/refunded 3 GBP more \(3 to date\)/) } });
    expect(again).toMatchObject({ status: 200, body: { outcome: "duplicate", refundedAmount: 3, netTotal: 17 } });
    expect(late).toMatchObject({ status: 200, body: { outcome: "late-refund", refundedAmount: 3, sentRefundedAmount: 2, netTotal: 17, message: expect.stringMatching(/refunded 3 to date already, more than the 2 sent .* kept 3, nothing changed/) } });
    expect(more).toMatchObject({ status: 200, body: { outcome: "refunded", refundedAmount: 5, refunded: 2, netTotal: 15 } });
    // A send that says nothing of refunds is the same order: it neither refunds nor un-refunds.
    expect(plain).toMatchObject({ status: 200, body: { outcome: "duplicate" } });
    expect(plain.body.refundedAmount).toBeUndefined();
    // Assess: what is stored, and what the contact's figures say
    expect(afterFirst).toMatchObject({ orderCount: 2, revenue: 27 });
    expect(await getContact("ann")).toMatchObject({ orderCount: 2, revenue: 25 });
    expect(await local.store.getContact("ann")).toMatchObject({ revenue: 25, history: { orderCount: 2, revenue: 25, dayRevenue: [15, 10] } });
    expect(await local.store.getOrder("ann", "o-1")).toMatchObject({ total: 20, status: "placed", refundedAmount: 5, refundedAt: expect.any(String) });
    const profile = (await local.client.send(new GetCommand({ TableName: local.tableName, Key: profileKey("ann") }))).Item!;
    expect(profile[countedAttribute("o-1")]).toEqual([Date.parse(order.createdAt), 15, 5]);
  });

  it("takes an order refunded whole out of the figures, as status refunded: no purchase any more", async () => {
    // Prepare
    const kept = { ...order, id: "w-2", contactId: "wes", total: 8 };
    expect((await post({ ...order, id: "w-1", contactId: "wes" })).status).toBe(201);
    expect((await post(kept)).status).toBe(201);
    expect((await post({ ...order, id: "w-1", contactId: "wes", refundedAmount: 6 })).body.outcome).toBe("refunded");

    // Act
    const whole = await post({ ...order, id: "w-1", contactId: "wes", refundedAmount: 20 });
    const lateAfterWhole = await post({ ...order, id: "w-1", contactId: "wes", refundedAmount: 6 });

    // Assess
    expect(whole).toMatchObject({ status: 200, body: { outcome: "removed", status: "refunded", refundedAmount: 20, netTotal: 0 } });
    expect(lateAfterWhole).toMatchObject({ status: 200, body: { outcome: "already-removed" } });
    expect(await getContact("wes")).toMatchObject({ orderCount: 1, revenue: 8 });
    expect(await local.store.getOrder("wes", "w-1")).toMatchObject({ status: "refunded", refundedAmount: 20 });
  });

  it("counts a new order sent already part refunded at its net total, and one refunded whole not at all", async () => {
    // Act
    const part = await post({ ...order, id: "n-1", contactId: "nia", refundedAmount: 4.5 });
    const whole = await post({ ...order, id: "n-2", contactId: "nia", refundedAmount: 20 });
    // Assess
    expect(part).toMatchObject({ status: 201, body: { outcome: "recorded", refundedAmount: 4.5, netTotal: 15.5 } });
    expect(whole).toMatchObject({ status: 200, body: { outcome: "removed", status: "refunded" } });
    expect(await getContact("nia")).toMatchObject({ orderCount: 1, revenue: 15.5 });
    expect(await local.store.getOrder("nia", "n-1")).toMatchObject({ total: 20, refundedAmount: 4.5 });
  });

  it("converts a refund in the order's currency at the order's rate", async () => {
    // Act
    const placed = await post({ ...order, id: "e-1", contactId: "eve", total: 100, currency: "EUR", exchangeRate: 0.85 });
    const refund = await post({ ...order, id: "e-1", contactId: "eve", total: 100, currency: "EUR", exchangeRate: 0.85, refundedAmount: 10 });
    const byTotal = await post({ ...order, id: "e-2", contactId: "eve", total: 10_000, currency: "JPY", totalInStoreCurrency: 52, refundedAmount: 2_500 });
    // Assess
    expect(placed.status).toBe(201);
    expect(refund).toMatchObject({ status: 200, body: { outcome: "refunded", total: 85, refundedAmount: 8.5, refunded: 8.5, netTotal: 76.5 } });
    expect(byTotal).toMatchObject({ status: 201, body: { total: 52, refundedAmount: 13, netTotal: 39 } });
    expect(await getContact("eve")).toMatchObject({ orderCount: 2, revenue: 115.5 });
    expect(await local.store.getOrder("eve", "e-1")).toMatchObject({ total: 85, refundedAmount: 8.5, originalTotal: 100, originalRefundedAmount: 10 });
  });

  it.each([
    ["more than the total", { refundedAmount: 25 }, /is 25 but the order's total is 20 GBP: at most the total/],
    ["negative", { refundedAmount: -1 }, /must be 0 or more/],
    ["a string", { refundedAmount: "3" }, /^expected a number, got a string$/],
    ["half a penny", { refundedAmount: 1.005 }, /has more decimals than GBP has/],
    ["on a credit note", { total: -5, refundedAmount: 2 }, /a credit note .* is a refund itself/],
  ])("answers 400 naming refundedAmount for a refund %s, and changes nothing", async (_what, change, message) => {
    // Prepare
    expect((await post({ ...order, id: "b-1", contactId: "bo" })).status).toBeLessThan(300);
    // Act
    const answer = await post({ ...order, id: "b-1", contactId: "bo", ...change });
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([{ field: "refundedAmount", message: expect.stringMatching(message) }]);
    expect(await getContact("bo")).toMatchObject({ orderCount: 1, revenue: 20 });
    expect((await local.store.getOrder("bo", "b-1"))?.refundedAmount).toBeUndefined();
  });

  it("still answers 409 when another fact of the order differs, refund or not, and changes nothing", async () => {
    // Prepare
    expect((await post({ ...order, id: "c-1", contactId: "cy" })).status).toBe(201);
    // Act
    const total = await post({ ...order, id: "c-1", contactId: "cy", total: 30, refundedAmount: 5 });
    const contact = await post({ ...order, id: "c-1", contactId: "dee", refundedAmount: 5 });
    // Assess
    expect(total).toMatchObject({ status: 409, body: { fields: [{ field: "total", stored: 20, sent: 30 }] } });
    expect(contact).toMatchObject({ status: 409, body: { fields: [{ field: "contactId", stored: "cy", sent: "dee" }] } });
    expect(await getContact("cy")).toMatchObject({ orderCount: 1, revenue: 20 });
    expect((await local.store.getOrder("cy", "c-1"))?.refundedAmount).toBeUndefined();
  });
});

describe("refunds to date in the nightly fold", () => {
  const dynalite = useDynalite("refund-fold");

  it("scans each order at its net total, so Gamma-Gamma's monetary value is the net one", async () => {
    // Prepare: three purchase days of 20, 30 and 50; the third refunded 10 to date.
    const { store } = await dynalite.newStore();
    const day = (d: number): OrderInput => ({ id: `f-${d}`, contactId: "fay", createdAt: `2024-05-0${d}T10:00:00Z`, total: d * 10, currency: "EUR", status: "placed" });
    for (const o of [day(2), day(3), day(5)]) await store.recordOrder(o);
    // Act
    expect(await store.recordOrder({ ...day(5), refundedAmount: 10 })).toBe("refunded");
    const histories: ContactHistory[] = [];
    for await (const page of store.scanHistories()) histories.push(...page);
    // Assess
    expect(histories).toHaveLength(1);
    expect(histories[0]).toMatchObject({ orderCount: 3, revenue: 90, dayRevenue: [20, 30, 40] });
    expect(summarize(histories[0]!, dayNumber(Date.parse("2024-06-01")), "days")).toMatchObject({ frequency: 2, monetaryValue: 35 });
  });
});

describe("refunds to date in the CSV import and the S3 upload", () => {
  const header = "order_id,customer_id,created_at,total,currency,refunded_amount";
  const file = (lines: string[], head = header) => {
    const path = join(mkdtempSync(join(tmpdir(), "clv-refunds-")), "orders.csv");
    writeFileSync(path, [head, ...lines].join("\n") + "\n");
    return path;
  };

  it("imports orders with their refunds to date, a later export's larger refunds once, and names late and bad rows", async () => {
    const local = await openLocalStore();
    try {
      // Prepare: the first export (one order already part refunded), then a later one of the same orders.
      const first = file(["i-1,ivy,2024-05-01,40,GBP,", "i-2,ivy,2024-05-02,60,GBP,10", "j-1,jo,2024-05-03,25,GBP,0"]);
      const later = file([
        "i-1,ivy,2024-05-01,40,GBP,15",
        "i-2,ivy,2024-05-02,60,GBP,12.5",
        "j-1,jo,2024-05-03,25,GBP,25",
        "i-2,ivy,2024-05-02,60,GBP,11",
        "k-1,kit,2024-05-04,30,GBP,31",
        "k-2,kit,2024-05-04,30,GBP,abc",
      ]);
      // Act
      const firstReport = await importOrders(local.store, first, { storeCurrency: "GBP", now: () => NOW });
      const laterReport = await importOrders(local.store, later, { storeCurrency: "GBP", now: () => NOW });
      const again = await importOrders(local.store, later, { storeCurrency: "GBP", now: () => NOW });
      // Assess: what the user is told
      expect(firstReport).toMatchObject({ rows: 3, imported: 3, refunds: 1, refunded: 10, lateRefunds: 0, rejected: 0 });
      expect(firstReport.notes).toContain("1 refund(s) to date (refunded_amount) netted against their contacts' revenue: £10.00 in all.");
      // i-1 +15, i-2 +2.5 (row 3), j-1 refunded whole (removed), row 5 older than row 3, two bad rows.
      expect(laterReport).toMatchObject({ rows: 6, imported: 2, removed: 1, duplicates: 1, rejected: 2, refunds: 2, refunded: 17.5, lateRefunds: 1 });
      expect(laterReport.notes).toEqual(
        expect.arrayContaining([expect.stringMatching(/^row 5: order i-2 was refunded 12.5 to date already, more than the 11 sent/), "2 refund(s) to date (refunded_amount) netted against their contacts' revenue: £17.50 in all."]),
      );
      expect(laterReport.errors).toEqual([
        { row: 6, field: "refunded_amount", message: expect.stringMatching(/is 31 but the order's total is 30 GBP/) },
        { row: 7, field: "refunded_amount", message: 'expected a number, got "abc"' },
      ]);
      // Again: every row is there already (j-1 refunded whole, so taken out); row 5 is still older than row 3.
      expect(again).toMatchObject({ imported: 0, removed: 0, refunds: 0, refunded: 0, duplicates: 4, lateRefunds: 1, rejected: 2 });
      // Assess: what is stored
      expect(await local.store.getContact("ivy")).toMatchObject({ orderCount: 2, revenue: 25 + 47.5, history: { revenue: 72.5 } });
      expect(await local.store.getContact("jo")).toMatchObject({ orderCount: 0, revenue: 0 });
      expect(await local.store.getContact("kit")).toBeUndefined();
      expect(await local.store.getOrder("ivy", "i-2")).toMatchObject({ refundedAmount: 12.5 });
      expect(await local.store.getOrder("jo", "j-1")).toMatchObject({ status: "refunded", refundedAmount: 25 });
    } finally {
      await local.close();
    }
  });

  it("reads the column as the API names it, refundedAmount, and a batch of re-sent orders (the batch path) alike", async () => {
    const local = await openLocalStore();
    try {
      // Prepare: 30 orders of 3 contacts, then all 30 again refunded 1 each (25 or more: the batch path).
      const rows = (refund: string) => Array.from({ length: 30 }, (_, i) => `b-${i},bat-${i % 3},2024-05-${String(1 + i).padStart(2, "0")},10,GBP,${refund}`);
      await importOrders(local.store, file(rows(""), "order_id,customer_id,created_at,total,currency,refundedAmount"), { storeCurrency: "GBP", now: () => NOW });
      // Act
      const report = await importOrders(local.store, file(rows("1"), "order_id,customer_id,created_at,total,currency,refundedAmount"), { storeCurrency: "GBP", now: () => NOW });
      const bad = await importOrders(local.store, file(["b-0,bat-0,2024-05-01,10,GBP,-1"], "order_id,customer_id,created_at,total,currency,refundedAmount"), { storeCurrency: "GBP", now: () => NOW });
      // Assess
      expect(report).toMatchObject({ rows: 30, imported: 30, refunds: 30, refunded: 30 });
      for (let c = 0; c < 3; c++) expect(await local.store.getContact(`bat-${c}`)).toMatchObject({ orderCount: 10, revenue: 90 });
      expect(await local.store.getOrder("bat-0", "b-0")).toMatchObject({ refundedAmount: 1 });
      expect(bad.errors).toEqual([{ row: 2, field: "refundedAmount", message: expect.stringMatching(/must be 0 or more/) }]);
    } finally {
      await local.close();
    }
  });

  it("the S3 upload takes refunds to date the same way, and its report counts them", async () => {
    const local = await openLocalStore();
    const s3 = mockClient(S3Client);
    const objects: Record<string, string> = {
      "imports/orders/may.csv": [header, "s-1,sam,2024-05-01,50,GBP,", "s-2,sam,2024-05-02,30,GBP,"].join("\n"),
      "imports/orders/june.csv": [header, "s-1,sam,2024-05-01,50,GBP,20", "s-1,sam,2024-05-01,50,GBP,20", "s-2,sam,2024-05-02,30,GBP,40"].join("\n"),
    };
    try {
      s3.on(GetObjectCommand).callsFake((input: { Key: string }) => ({ Body: Readable.from([objects[input.Key]!]) }) as never);
      s3.on(PutObjectCommand).resolves({});
      const upload = (key: string) => importUpload({ s3: { bucket: { name: "u" }, object: { key } } }, { s3: new S3Client({}), store: local.store, orderRules: { storeCurrency: "GBP", now: () => NOW } });
      // Act
      await upload("imports/orders/may.csv");
      const report = await upload("imports/orders/june.csv");
      // Assess
      expect(report).toMatchObject({ rows: 3, imported: 1, duplicates: 1, rejected: 1, refunds: 1, refunded: 20 });
      expect(report.errors).toEqual([{ row: 4, field: "refunded_amount", message: expect.stringMatching(/is 40 but the order's total is 30 GBP/) }]);
      const written = JSON.parse(String(s3.commandCalls(PutObjectCommand).at(-1)!.args[0].input.Body));
      expect(written).toMatchObject({ refunds: 1, refunded: 20 });
      expect(await local.store.getContact("sam")).toMatchObject({ orderCount: 2, revenue: 60 });
      expect(await local.store.getOrder("sam", "s-1")).toMatchObject({ refundedAmount: 20 });
    } finally {
      s3.restore();
      await local.close();
    }
  });
});

describe("refunds to date in a first load (the demo's)", () => {
  const dynalite = useDynalite("refund-first-load");
  const lines = [
    "order_id,customer_id,created_at,total,currency,refunded_amount",
    "a-1,amy,2024-05-01,40,GBP,",
    "a-2,amy,2024-05-02,60,GBP,10",
    "a-1,amy,2024-05-01,40,GBP,15",
    "a-2,amy,2024-05-02,60,GBP,5",
    "a-3,amy,2024-05-03,30,GBP,30",
    "a-3,amy,2024-05-03,30,GBP,",
    "a-order-with-a-long-id-0001,amy,2024-05-04,20,GBP,2",
  ];

  it("leaves what importing the same file leaves, and a later refund of a loaded order is taken once", async () => {
    // Prepare: the same file imported into one table, folded in memory and first-loaded into another.
    const path = join(mkdtempSync(join(tmpdir(), "clv-refund-load-")), "orders.csv");
    writeFileSync(path, lines.join("\n") + "\n");
    const imported = await dynalite.newStore();
    const loaded = await dynalite.newStore();
    const fold = new OrderFold(() => NOW);

    // Act
    const byImport = await importOrders(new DynamoDbStore(dynalite.client(), imported.tableName, () => NOW), path, { storeCurrency: "GBP", now: () => NOW });
    const byFold = await importOrders(fold, path, { storeCurrency: "GBP", now: () => NOW });
    await writeFirstLoad(new StoreTable(dynalite.client(), loaded.tableName, () => NOW), fold.contacts());
    const profile = async (tableName: string) => {
      const { Items = [] } = await dynalite.client().send(new ScanCommand({ TableName: tableName }));
      const { summaryLongIds: _ids, ...item } = Items.find((i) => i.SK === "PROFILE")!;
      return item;
    };

    // Assess: the same report and the same summary (the first load also keeps the long id whole).
    expect(byFold).toEqual(byImport);
    expect(byFold).toMatchObject({ rows: 7, imported: 4, removed: 1, duplicates: 2, lateRefunds: 1, refunds: 3, refunded: 27 });
    expect(await profile(loaded.tableName)).toEqual(await profile(imported.tableName));
    expect(await loaded.store.getContact("amy")).toMatchObject({ orderCount: 3, revenue: 25 + 50 + 18 });

    // Act: the loaded order refunded further, twice, through the store (the first load wrote no order item).
    const more = await loaded.store.recordOrder({ id: "a-2", contactId: "amy", createdAt: "2024-05-02T00:00:00Z", total: 60, currency: "GBP", status: "placed", refundedAmount: 12 });
    const again = await loaded.store.recordOrder({ id: "a-2", contactId: "amy", createdAt: "2024-05-02T00:00:00Z", total: 60, currency: "GBP", status: "placed", refundedAmount: 12 });
    const long = await loaded.store.recordOrder({ id: "a-order-with-a-long-id-0001", contactId: "amy", createdAt: "2024-05-04T00:00:00Z", total: 20, currency: "GBP", status: "placed", refundedAmount: 3 });
    // Assess
    expect([more, again, long]).toEqual(["refunded", "duplicate", "refunded"]);
    expect(await loaded.store.getContact("amy")).toMatchObject({ orderCount: 3, revenue: 25 + 48 + 17, history: { revenue: 90 } });
    expect(await loaded.store.getOrder("amy", "a-2")).toMatchObject({ refundedAmount: 12 });
  });
});

describe("a refund to date whose entry other senders keep changing", () => {
  const dynalite = useDynalite("refund-contended");

  it("answers 503 saying it can be sent again, changes nothing, and is taken once when sent again", async () => {
    // Prepare: every refund write to the summary refused as a lost race while `contending` is set.
    const { tableName } = await dynalite.newStore();
    const client = dynalite.client();
    const state = { contending: false, refused: 0 };
    const send = (command: unknown) => {
      if (state.contending && command instanceof UpdateCommand && /ADD revenue :change/.test(command.input.UpdateExpression ?? "")) {
        state.refused++;
        return Promise.reject(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }));
      }
      return client.send(command as never);
    };
    const store = new DynamoDbStore(new Proxy(client, { get: (target, name) => (name === "send" ? send : Reflect.get(target, name)) }), tableName, () => NOW);
    const api = await startOrderApi(store, NOW);
    try {
      expect((await api.postOrder(order)).status).toBe(201);
      state.contending = true;
      // Act
      const refused = await api.postOrder({ ...order, refundedAmount: 4 });
      const revenueThen = (await store.getContact("ann"))?.revenue;
      state.contending = false;
      const accepted = await api.postOrder({ ...order, refundedAmount: 4 });
      // Assess
      expect(refused).toMatchObject({ status: 503, body: { orderId: "o-1", retry: true, error: expect.stringMatching(/kept changing .*sending it again is safe/) } });
      expect(state.refused).toBe(CONTENDED_TRIES);
      expect(revenueThen).toBe(20);
      expect(accepted).toMatchObject({ status: 200, body: { outcome: "refunded", refunded: 4 } });
      expect(await store.getContact("ann")).toMatchObject({ orderCount: 1, revenue: 16 });
    } finally {
      api.close();
    }
  });
});

describe("refunds to date from concurrent senders", () => {
  const dynalite = useDynalite("refund-race");
  const base: OrderInput = { id: "r-1", contactId: "rex", createdAt: "2024-05-31T10:00:00Z", total: 20, currency: "GBP", status: "placed" };
  const padding = (k: number): OrderInput[] => Array.from({ length: 30 }, (_, i) => ({ ...base, id: `pad-${k}-${i}`, contactId: `pad-${i % 4}`, total: 1 }));

  /**
   * 20 senders, each sending the order refunded 3 and refunded 5 to date (half of them 5 first, as
   * webhooks arrive out of order), twice each; odd senders one order a request (the HTTP API), even
   * ones in a batch of 30 with other orders (an import's batch path).
   */
  async function race(store: DynamoDbStore): Promise<{ outcomes: OrderOutcome[]; taken: number }> {
    const outcomes: OrderOutcome[] = [];
    let taken = 0;
    await Promise.all(
      Array.from({ length: 20 }, async (_, s) => {
        const sends = s % 4 < 2 ? [3, 5, 3, 5] : [5, 3, 5, 3];
        for (const refundedAmount of sends) {
          const o = { ...base, refundedAmount };
          if (s % 2 === 1) {
            const change: RefundChange = {};
            const outcome = await store.recordOrder(o, change);
            outcomes.push(outcome);
            if (outcome === "refunded") taken += change.sent! - change.stored!;
            continue;
          }
          const refunds = new Map<number, RefundChange>();
          const [outcome] = await store.recordOrders([o, ...padding(s)], undefined, refunds);
          outcomes.push(outcome!);
          if (outcome === "refunded") taken += refunds.get(0)!.sent! - refunds.get(0)!.stored!;
        }
      }),
    );
    return { outcomes, taken };
  }

  it("lowers the revenue by exactly 5 when the order was counted before", async () => {
    // Prepare
    const { store } = await dynalite.newStore();
    expect(await store.recordOrder(base)).toBe("recorded");
    // Act
    const { outcomes, taken } = await race(store);
    // Assess
    expect(taken).toBe(5);
    expect(outcomes.filter((o) => o === "refunded").length).toBeGreaterThanOrEqual(1);
    expect(outcomes.every((o) => ["refunded", "duplicate", "late-refund"].includes(o))).toBe(true);
    expect(await store.getContact("rex")).toMatchObject({ orderCount: 1, revenue: 15, history: { orderCount: 1, revenue: 15 } });
    expect(await store.getOrder("rex", "r-1")).toMatchObject({ total: 20, refundedAmount: 5 });
  });

  it("takes an order out exactly when its cancellation races its refunds: revenue 0, never below", async () => {
    // Prepare: 8 contacts with one order of 20 each, and one of 7 that stays.
    const { store } = await dynalite.newStore();
    const orders = Array.from({ length: 8 }, (_, c): OrderInput => ({ ...base, id: `q-${c}`, contactId: `q-${c}` }));
    for (const o of orders) await store.recordOrder(o);
    for (const o of orders) await store.recordOrder({ ...o, id: `${o.id}-kept`, total: 7 });
    // Act: per order, 6 senders of refunds to date (3, 5, 3, 5 …) and one cancellation among them, all at once.
    await Promise.all(
      orders.flatMap((o) => [
        ...Array.from({ length: 6 }, async (_, s) => {
          for (const refundedAmount of s % 2 === 0 ? [3, 5] : [5, 3]) await store.recordOrder({ ...o, refundedAmount });
        }),
        store.recordOrder({ ...o, status: "cancelled" }),
      ]),
    );
    // Assess
    for (const o of orders) {
      expect(await store.getContact(o.contactId)).toMatchObject({ orderCount: 1, revenue: 7, history: { orderCount: 1, revenue: 7 } });
      expect(await store.getOrder(o.contactId, o.id)).toMatchObject({ status: "cancelled" });
    }
  });

  it("counts the order once at 15 when every sender's first send is its first arrival in the store", async () => {
    // Prepare
    const { store } = await dynalite.newStore();
    // Act
    const { outcomes } = await race(store);
    // Assess: one recorded it (at 17 or 15); what followed took it to 15, never lower.
    expect(outcomes.filter((o) => o === "recorded")).toHaveLength(1);
    expect(outcomes.every((o) => ["recorded", "refunded", "duplicate", "late-refund"].includes(o))).toBe(true);
    expect(await store.getContact("rex")).toMatchObject({ orderCount: 1, revenue: 15, history: { orderCount: 1, revenue: 15 } });
    expect(await store.getOrder("rex", "r-1")).toMatchObject({ refundedAmount: 5 });
  });
});
