import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { useDynalite } from "../support/dynalite.js";
import { orderRows } from "../../functions/domain/clv/csv-rows.js";
import { contactHistories, type ContactHistory } from "../../functions/domain/clv/order-history.js";
import { ContactInput } from "../../functions/domain/store/contact.js";
import { readRows } from "../../functions/local/cli/read-rows.js";
import { DEMO_CONSENT_AT, demoContacts } from "../../functions/local/import/demo-contacts.js";
import { importContacts, importOrders } from "../../functions/adapters/csv/import-csv.js";

const onlineRetail = (name: string) => fileURLToPath(new URL(`../../data/online-retail/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "clv-import-"));
const file = (name: string, lines: string[]) => {
  const path = join(dir, name);
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
};

/** The first 600 of Online Retail's 3,654 cancellations: enough to see them all kinds of customer, quicker. */
const firstCancellations = () => file("cancellations-600.csv", readFileSync(onlineRetail("cancellations.csv"), "utf8").trim().split("\n").slice(0, 601));

const dynalite = useDynalite("import");
const newStore = async () => (await dynalite.newStore()).store;

async function allHistories(store: DynamoDbStore): Promise<Map<string, ContactHistory>> {
  const histories = new Map<string, ContactHistory>();
  for await (const page of store.scanHistories()) for (const h of page) histories.set(h.contactId, h);
  return histories;
}

describe("importOrders: the Online Retail store", () => {
  let store: DynamoDbStore;
  let first: Awaited<ReturnType<typeof importOrders>>;

  beforeAll(async () => {
    store = await newStore();
    first = await importOrders(store, onlineRetail("orders.csv"), { storeCurrency: "GBP" });
  }, 900_000); // a guard against a hung import, not a speed check: 18,536 orders take minutes on a busy 2-core machine

  it("imports every order, and the summaries equal the histories the models read from the file", async () => {
    expect(first).toMatchObject({ rows: 18_536, imported: 18_536, duplicates: 0, removed: 0, rejected: 0, errors: [] });
    const stored = await allHistories(store);
    expect(stored.size).toBe(4_339);
    const { rows } = await readRows(onlineRetail("orders.csv"), orderRows());
    const expected = contactHistories(rows, Number.POSITIVE_INFINITY);
    expect(expected).toHaveLength(4_339);
    for (const want of expected) {
      const got = stored.get(want.contactId)!;
      expect({ ...got, revenue: 0, dayRevenue: [] }).toEqual({ ...want, revenue: 0, dayRevenue: [] });
      // Orders of one contact at the same minute may be added up in another order: equal up to rounding.
      expect(got.revenue).toBeCloseTo(want.revenue, 6);
      got.dayRevenue.forEach((r, i) => expect(r).toBeCloseTo(want.dayRevenue[i]!, 6));
    }
  });

  it("reports every row of a second import as a duplicate, and changes nothing", async () => {
    const second = await importOrders(store, onlineRetail("orders.csv"), { storeCurrency: "GBP" });
    expect(second).toMatchObject({ rows: 18_536, imported: 0, duplicates: 18_536, removed: 0, rejected: 0, errors: [] });
    let orders = 0;
    for (const h of (await allHistories(store)).values()) orders += h.orderCount;
    expect(orders).toBe(18_536);
  });

  it("nets the cancellations (credit notes without their order) against their contacts' revenue, once", async () => {
    const cancellations = firstCancellations();
    const before = await store.getContact("14527");
    const report = await importOrders(store, cancellations, { storeCurrency: "GBP" });
    expect(report).toMatchObject({ rows: 600, imported: 600, duplicates: 0, removed: 0, cancellations: 600, currency: "GBP", errors: [] });
    expect(report.credited).toBeGreaterThan(0);
    expect(report.notes.join(" ")).toMatch(/600 credit note\(s\) .* netted against their contacts' revenue: £[\d,.]+ in all/);
    expect(await store.getOrder("14527", "C536379")).toMatchObject({ status: "placed", total: -27.5 });
    // C536379 is one of customer 14527's credit notes in the first 600: its revenue is lower by their sum, its orders as many.
    const credits = readFileSync(cancellations, "utf8").trim().split("\n").slice(1).filter((l) => l.split(",")[1] === "14527").map((l) => Number(l.split(",")[3]));
    const after = await store.getContact("14527");
    expect(after?.revenue).toBeCloseTo(before!.revenue + credits.reduce((a, b) => a + b, 0), 6);
    expect(after?.history?.orderCount).toBe(before?.history?.orderCount);

    const again = await importOrders(store, cancellations, { storeCurrency: "GBP" });
    expect(again).toMatchObject({ rows: 600, imported: 0, duplicates: 600, removed: 0, cancellations: 600, credited: 0 });
    expect((await store.getContact("14527"))?.revenue).toBe(after?.revenue);
    let orders = 0;
    for (const h of (await allHistories(store)).values()) orders += h.orderCount;
    expect(orders).toBe(18_536);
  });

  it("gives the demo store's customers made-up profiles, leaving their orders alone", async () => {
    // Prepare: the cancellations imported (a no-op when the test before did it), so that this test stands on its own.
    const cancellations = firstCancellations();
    await importOrders(store, cancellations, { storeCurrency: "GBP" });
    const ids: string[] = [];
    for await (const page of store.listContacts()) ids.push(...page.map((c) => c.contactId));
    // Every customer of either file is a contact, those with nothing but cancellations included.
    const customers = (path: string) => readFileSync(path, "utf8").trim().split("\n").slice(1).map((line) => line.split(",")[1]!);
    expect(new Set(ids)).toEqual(new Set([...customers(onlineRetail("orders.csv")), ...customers(cancellations)]));
    const contacts = demoContacts(ids.slice(0, 300));
    expect(new Set((await store.putContacts(contacts)).map((w) => w.outcome))).toEqual(new Set(["created"]));
    expect(new Set((await store.putContacts(contacts)).map((w) => w.outcome))).toEqual(new Set(["unchanged"]));
    const contact = await store.getContact(ids[0]!);
    expect(contact?.profile?.email).toBe(`customer-${ids[0]}@example.com`);
    expect(contact?.history?.orderCount).toBeGreaterThan(0);
  });
});

describe("importOrders: bad rows", () => {
  const header = "order_id,customer_id,created_at,total,currency,status,country";
  const rows: [string, string | null][] = [
    // [row, the column its error names (null: a good row)]
    ["G1,cust-1,2011-01-05T10:00:00Z,12.50,GBP,,United Kingdom", null],
    ['B01,cust-1,2011-01-05T10:00:00Z,"12,50",GBP,,', "total"], // decimal comma
    ["B02,cust-1,2011-01-05T10:00:00Z,abc,GBP,,", "total"],
    ["B03,cust-1,2011-01-05T10:00:00Z,,GBP,,", "total"], // empty
    ["B04,,2011-01-05T10:00:00Z,1,GBP,,", "customer_id"], // empty id
    [",cust-1,2011-01-05T10:00:00Z,1,GBP,,", "order_id"], // empty id
    ["B#06,cust-1,2011-01-05T10:00:00Z,1,GBP,,", "order_id"], // '#' would break the item keys
    ["B07,cust#1,2011-01-05T10:00:00Z,1,GBP,,", "customer_id"],
    ["B08,cust-1,2011-01-05T10:00:00Z,1,XYZ,,", "currency"], // unknown currency
    ["B09,cust-1,2999-01-01T00:00:00Z,1,GBP,,", "created_at"], // future date
    ["B10,cust-1,yesterday,1,GBP,,", "created_at"],
    ["G4,cust-4,2011-01-05,1,GBP,,", null], // a date alone means midnight UTC
    ["B12,cust-1,2011-01-05T10:00:00Z,-2e9,GBP,,", "total"], // a credit note, implausibly large
    ["B13,cust-1,2011-01-05T10:00:00Z,1,GBP,shipped,", "status"], // unknown status
    ['"B14\u0007x",cust-1,2011-01-05T10:00:00Z,1,GBP,,', "order_id"], // control character
    ['B15,"cust\t1",2011-01-05T10:00:00Z,1,GBP,,', "customer_id"], // tab inside quotes
    ['B16,"cust\n1",2011-01-05T10:00:00Z,1,GBP,,', "customer_id"], // line break inside quotes
    ["B17,cust-1,2011-01-05T10:00:00Z,1,GBP,,UK,extra", ""], // an extra cell: the row's shape is wrong
    ["B18,cust-1,2011-01-05T10:00:00Z,1", "currency"], // cells missing
    ["B19,cust-1,2011-01-05T10:00:00Z,1e12,GBP,,", "total"], // implausibly large
    ["B20,cust-1,2011-01-05T10:00:00Z,1e999,GBP,,", "total"], // infinite
    [`${"B".repeat(129)},cust-1,2011-01-05T10:00:00Z,1,GBP,,`, "order_id"], // too long
    ["B22,   ,2011-01-05T10:00:00Z,1,GBP,,", "customer_id"], // blank
    ["C23,cust-1,2011-01-05T10:00:00Z,-3.555,GBP,placed,", "total"], // a credit note in fractions of a penny
    ["G2,cust-2,2011-01-06T10:00:00+01:00,0.99,gbp,,", null], // currency case and a time offset are fine
    ["C900,cust-1,2011-01-07T10:00:00Z,-3.50,GBP,,", null], // an Online Retail cancellation
    ['"G3 with ""quotes""",cust-3,2011-01-08T10:00:00Z,5,GBP,placed,', null], // quotes escaped as CSV has them
  ];
  const bad = rows.filter(([, field]) => field !== null);
  // The line a row ends on: the line break inside quotes (B16) makes that record two lines long.
  const lineOf = (i: number) => i + 2 + (i >= 16 ? 1 : 0);
  const index = (id: string) => rows.findIndex(([line]) => line.startsWith(id));
  let store: DynamoDbStore;
  let report: Awaited<ReturnType<typeof importOrders>>;

  beforeAll(async () => {
    store = await newStore();
    report = await importOrders(store, file("bad-orders.csv", [header, ...rows.map(([line]) => line)]), { now: () => Date.parse("2024-06-01T00:00:00Z"), storeCurrency: "GBP" });
  });

  it("reports each bad row by row number and column, and keeps the good ones", () => {
    expect(bad.length).toBeGreaterThanOrEqual(15);
    // B16's quoted line break makes lines 18–19 one row: both lines are named, as a quote that spans lines.
    const expected = rows.flatMap(([line, field], i) => (field === null ? [] : line.startsWith("B16") ? [`${lineOf(i) - 1} `, `${lineOf(i)} `] : [`${lineOf(i)} ${field}`]));
    // One entry per bad row and column (a cell may break more than one rule of its column).
    expect([...new Set(report.errors.map((e) => `${e.row} ${e.field}`))]).toEqual(expected);
    for (const e of report.errors) expect(e.message.length).toBeGreaterThan(5);
    // Every line of the file is a row of the report: B16's two lines count as two.
    expect(report).toMatchObject({ rows: rows.length + 1, imported: 5, removed: 0, duplicates: 0, rejected: bad.length + 1, cancellations: 1, credited: 3.5 });
  });

  it("says what is wrong in words a person can act on", () => {
    const message = (id: string) => report.errors.find((e) => e.row === lineOf(index(id)))?.message;
    expect(message("B01")).toBe('expected a number, got "12,50"');
    expect(message("B08")).toMatch(/not a currency we know/);
    expect(message("B09")).toMatch(/is in the future/);
    expect(message("B12")).toMatch(/implausibly large/);
    expect(message("B15")).toBe("contains control characters");
    expect(message("B17")).toMatch(/has 8 cells but the header has 7/);
    expect(message("B18")).toBe("is missing");
  });

  it("writes nothing of a bad row", async () => {
    for (const id of ["B01", "B02", "B08", "B09", "B12", "B13", "B17", "B18", "B19"]) expect(await store.getOrder("cust-1", id)).toBeUndefined();
    const contact = await store.getContact("cust-1");
    expect(contact?.history?.orderCount).toBe(1);
    // G1 less the credit note C900.
    expect(contact?.revenue).toBe(9);
    expect((await store.getOrder("cust-3", 'G3 with "quotes"'))?.total).toBe(5);
    expect((await store.getOrder("cust-4", "G4"))?.createdAt).toBe("2011-01-05T00:00:00Z");
  });

  it("refuses a row whose quote closes inside a cell, and goes on with the next line", async () => {
    // Prepare
    const store = await newStore();
    const good = ["G1,cust-1,2011-01-05T10:00:00Z,1,GBP,,", "G3,cust-3,2011-01-05T10:00:00Z,1,GBP,,"];
    // Act
    const broken = await importOrders(store, file("broken-quote.csv", [header, good[0]!, 'B2,"cust-2"x,2011-01-05T10:00:00Z,1,GBP,,', good[1]!]), { storeCurrency: "GBP" });
    // Assess
    expect(broken).toMatchObject({ rows: 3, imported: 2, rejected: 1 });
    expect(broken.errors).toEqual([{ row: 3, field: "", message: expect.stringMatching(/quote that closes cell 2 before "x,2011-01-"/) }]);
    expect(await store.getOrder("cust-3", "G3")).toBeDefined();
    expect(await store.getContact("cust-2")).toBeUndefined();
    const fixed = await importOrders(store, file("fixed-quote.csv", [header, good[0]!, "B2,cust-2,2011-01-05T10:00:00Z,1,GBP,,", good[1]!]), { storeCurrency: "GBP" });
    expect(fixed).toMatchObject({ rows: 3, imported: 1, duplicates: 2, errors: [] });
  });
});

describe("importContacts", () => {
  const header = "id,email,first_name,subscription,consent_at,country";
  const good = ["k1,ana@example.com,Ana,subscribed,2024-01-01T00:00:00Z,es", "k7,,,,,"];
  const badRows = [
    "k2,not-an-email,Bo,never_subscribed,,", // email
    "k3,cy@example.com,Cy,subscribed,,", // consent_at: required with subscribed
    "k4,di@example.com,Di,never_subscribed,,United Kingdom", // country
    "k5,ed@example.com,Ed,yes,,", // subscription
    ",fa@example.com,Fa,never_subscribed,,", // id
    "k#6,gu@example.com,Gu,never_subscribed,,", // id
  ];

  it("imports good rows, reports bad ones by column, and a second import changes nothing", async () => {
    const store = await newStore();
    const path = file("contacts.csv", [header, good[0]!, ...badRows, good[1]!]);
    const report = await importContacts(store, path);
    expect(report).toMatchObject({ rows: 8, imported: 2, duplicates: 0, rejected: 6 });
    expect(report.errors.map((e) => [e.row, e.field])).toEqual([
      [3, "email"],
      [4, "consent_at"],
      [5, "country"],
      [6, "subscription"],
      [7, "id"],
      [8, "id"],
    ]);
    expect((await store.getContact("k1"))?.profile).toMatchObject({ email: "ana@example.com", firstName: "Ana", subscription: "subscribed", country: "ES" });
    expect((await store.getContact("k7"))?.profile?.subscription).toBe("never_subscribed");
    expect(await store.getContact("k2")).toBeUndefined();

    expect(await importContacts(store, path)).toMatchObject({ rows: 8, imported: 0, duplicates: 2, rejected: 6 });
    const changed = file("contacts-changed.csv", [header, "k1,ana@example.com,Ana,unsubscribed,2024-02-01T00:00:00Z,ES", good[1]!]);
    expect(await importContacts(store, changed)).toMatchObject({ rows: 2, imported: 1, duplicates: 1 });
    expect((await store.getContact("k1"))?.profile?.subscription).toBe("unsubscribed");
  });
});

describe("demoContacts", () => {
  const ids = Array.from({ length: 4_000 }, (_, i) => String(12_346 + i));

  it("makes the same valid contacts from the same ids", () => {
    const contacts = demoContacts(ids);
    expect(demoContacts([...ids, ids[0]!])).toEqual(contacts); // deterministic, one per distinct id
    expect(contacts[0]).toEqual({ contactId: "12346", contact: expect.objectContaining({ email: "customer-12346@example.com" }) });
    for (const { contact } of contacts) expect(ContactInput.safeParse(contact).success).toBe(true);
    expect(new Set(contacts.map((c) => c.contact.firstName)).size).toBeGreaterThan(20);
  });

  it("subscribes about 80 %, with consent on record", () => {
    const contacts = demoContacts(ids);
    const subscribed = contacts.filter((c) => c.contact.subscription === "subscribed");
    expect(subscribed.length / contacts.length).toBeGreaterThan(0.75);
    expect(subscribed.length / contacts.length).toBeLessThan(0.85);
    expect(subscribed.every((c) => c.contact.consentAt === DEMO_CONSENT_AT)).toBe(true);
    const others = new Set(contacts.filter((c) => c.contact.subscription !== "subscribed").map((c) => c.contact.subscription));
    expect(others).toEqual(new Set(["never_subscribed", "unsubscribed"]));
  });
});

describe("importOrders: a contact whose summary is full", () => {
  it("refuses that contact's rows by line and goes on with the rest of the file", async () => {
    // Prepare: a store whose summary of contact "full" has no room (as the adapter answers past 400 KB).
    const recorded: string[] = [];
    const store = {
      recordOrders: async (orders: readonly { id: string; contactId: string }[]) =>
        orders.map((o) => {
          if (o.contactId === "full") return "summary-full" as const;
          recorded.push(o.id);
          return "recorded" as const;
        }),
    };
    const path = file("full-contact.csv", ["order_id,customer_id,created_at,total,currency", "f-1,full,2024-01-01,10,GBP", "o-1,other,2024-01-01,10,GBP", "f-2,full,2024-01-02,10,GBP", "o-2,other,2024-01-02,10,GBP"]);
    // Act
    const report = await importOrders(store, path, { storeCurrency: "GBP", chunkRows: 2 });
    // Assess
    expect(report).toMatchObject({ rows: 4, imported: 2, rejected: 2 });
    expect(report.errors).toEqual([2, 4].map((row) => ({ row, field: "customer_id", message: expect.stringMatching(/order summary of contact full is full .*400 KB.* stored but not counted/) })));
    expect(recorded).toEqual(["o-1", "o-2"]);
  });
});
