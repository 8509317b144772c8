import { describe, expect, it } from "vitest";
import { calibrationHoldout, contactHistories, dayNumber, OrderFold, summarize, type Order } from "../../functions/domain/clv/order-history.js";
import { cdnowPublishedSummary, cdnowSampleOrders } from "../support/cdnow.js";

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
const order = (contactId: string, createdAt: string, total: number, orderId = `${contactId}-${createdAt}-${total}`): Order => ({
  orderId,
  contactId,
  createdAt: Date.parse(createdAt.length === 10 ? `${createdAt}T12:00:00Z` : createdAt),
  total,
});

describe("summaries from orders", () => {
  it("CDNOW_sample.txt summarized in weeks to 1997-09-30 equals cdnow_customers_summary.csv", () => {
    // Prepare
    // Source: the lifetimes/BTYD summary of the CDNOW sample (test/fixtures/README.md).
    const histories = contactHistories(cdnowSampleOrders(), day("1998-06-30"));
    // Act
    const published = cdnowPublishedSummary();
    // Assess
    expect(histories).toHaveLength(published.size);
    const lastDay = dayNumber(day("1997-09-30"));
    for (const h of histories) {
      const ours = summarize(h, lastDay, "weeks")!;
      const theirs = published.get(h.contactId)!;
      expect(ours.frequency).toBe(theirs.frequency);
      expect(ours.recency).toBeCloseTo(theirs.recency, 2);
      expect(ours.T).toBeCloseTo(theirs.T, 2);
    }
  });

  it("several orders on one day are one purchase occasion, and the day's value is their sum", () => {
    // Act
    const [h] = contactHistories([order("c", "2024-01-01T09:00:00Z", 10), order("c", "2024-01-01T18:00:00Z", 5), order("c", "2024-01-11", 30), order("c", "2024-01-11", 20)], day("2024-01-31"));
    // Assess
    expect(h!.orderCount).toBe(4);
    expect(h!.revenue).toBe(65);
    expect(summarize(h!, dayNumber(day("2024-01-31")), "days")).toEqual({ frequency: 1, recency: 10, T: 30, monetaryValue: 50, logInterPurchaseTimes: Math.log(10) });
  });

  it("a contact with one order has frequency 0, recency 0 and no repeat value", () => {
    // Act
    const [h] = contactHistories([order("c", "2024-01-05", 80)], day("2024-01-31"));
    // Assess
    expect(summarize(h!, dayNumber(day("2024-01-31")), "weeks")).toEqual({ frequency: 0, recency: 0, T: 26 / 7, monetaryValue: 0, logInterPurchaseTimes: 0 });
  });

  it("all orders on one day make a one-time buyer", () => {
    // Prepare
    const orders = [1, 2, 3].map((i) => order("c", `2024-03-03T0${i}:00:00Z`, 10 * i));
    // Act
    const [h] = contactHistories(orders, day("2024-03-10"));
    // Assess
    expect(h!.orderCount).toBe(3);
    expect(summarize(h!, dayNumber(day("2024-03-10")), "days")).toMatchObject({ frequency: 0, recency: 0, T: 7 });
  });

  it("orders after the as-of date are left out, and so is a contact who only orders later", () => {
    // Act
    const histories = contactHistories([order("a", "2024-01-01", 10), order("a", "2024-02-15", 10), order("b", "2024-03-01", 10)], day("2024-01-31"));
    // Assess
    expect(histories.map((h) => h.contactId)).toEqual(["a"]);
    expect(histories[0]!.orderCount).toBe(1);
  });

  it("an order on the as-of day counts", () => {
    // Act
    const [h] = contactHistories([order("a", "2024-01-01", 10), order("a", "2024-01-31T23:59:00Z", 10)], day("2024-01-31"));
    // Assess
    expect(summarize(h!, dayNumber(day("2024-01-31")), "days")).toMatchObject({ frequency: 1, recency: 30, T: 30 });
  });

  it("zero totals are purchases that add no value", () => {
    // Act
    const [h] = contactHistories([order("a", "2024-01-01", 0), order("a", "2024-01-05", 0)], day("2024-01-31"));
    // Assess
    expect(summarize(h!, dayNumber(day("2024-01-31")), "days")).toEqual({ frequency: 1, recency: 4, T: 30, monetaryValue: 0, logInterPurchaseTimes: Math.log(4) });
  });

  it("splits calibration and holdout: only contacts known at the calibration end, holdout purchases counted after it", () => {
    // Prepare
    const orders = [order("a", "2024-01-01", 10), order("a", "2024-01-20", 10), order("a", "2024-02-10", 10), order("a", "2024-02-11", 10), order("b", "2024-02-05", 10)];
    // Act
    const split = calibrationHoldout(contactHistories(orders, day("2024-02-29")), dayNumber(day("2024-01-31")), dayNumber(day("2024-02-29")), "days");
    // Assess
    expect(split).toEqual([{ contactId: "a", calibration: { frequency: 1, recency: 19, T: 30, monetaryValue: 10, logInterPurchaseTimes: Math.log(19) }, holdoutPurchases: 2 }]);
  });
});

describe("orders folded one at a time (OrderFold, what clv score reads a file into)", () => {
  it("gives the histories of the orders sorted by time, whatever order they come in, contacts in the order of their first order", () => {
    // Prepare: 3,000 orders of 200 contacts in a shuffled order, some contacts with more than 32 orders (the long sort).
    let seed = 7;
    const random = (k: number) => (seed = (seed * 48271) % 2147483647) % k;
    const orders: Order[] = Array.from({ length: 3_000 }, (_, i) => {
      const contact = i < 400 ? random(5) : random(200);
      return { orderId: `o${i}`, contactId: `c${contact}`, createdAt: day("2024-01-01") + random(400) * 3_600_000 * 6, total: random(10_000) / 100 };
    });
    const sorted = [...orders].sort((x, y) => x.createdAt - y.createdAt);
    const fold = new OrderFold(day("2024-03-15"));
    // Act
    for (const o of orders) fold.add(o.contactId, o.createdAt, o.total);
    const folded = fold.histories();
    // Assess: the same histories as from the orders in time order, each contact's figures summed in time order.
    const byContact = new Map(contactHistories(sorted, day("2024-03-15")).map((h) => [h.contactId, h]));
    expect(folded.map((h) => h.contactId)).toEqual([...new Set(orders.filter((o) => dayNumber(o.createdAt) <= dayNumber(day("2024-03-15"))).map((o) => o.contactId))]);
    expect(folded).toHaveLength(byContact.size);
    for (const h of folded) expect(h).toEqual(byContact.get(h.contactId));
    expect(Math.max(...folded.map((h) => h.orderCount))).toBeGreaterThan(32);
  });

  it("tells 30,000 ids apart by their ids' characters, whether an id comes as a string or as a span of a longer text", () => {
    // Prepare: ids of many lengths, prefixes of each other, with spaces inside, accents and emoji (two UTF-16 units),
    // of exactly eight characters, and of one length sharing their first eight; each contact orders 1–3 times on days it shares with others.
    const kinds = [(i: number) => `c${i}`, (i: number) => `c${i}0`, (i: number) => `ré ${i}`, (i: number) => `${i}@shop.example`, (i: number) => `🛒${i}`, (i: number) => String(i).padStart(8, "0"), (i: number) => `customer${String(i).padStart(5, "0")}`];
    const ids = Array.from({ length: 30_000 }, (_, i) => kinds[i % kinds.length]!(i));
    const orders: Order[] = [];
    for (let k = 0; k < 3; k++) ids.forEach((id, i) => (i + k) % 4 !== 0 && orders.push({ orderId: `${i}-${k}`, contactId: id, createdAt: day("2024-01-01") + ((i * 7 + k * 13) % 90) * 86_400_000, total: (i % 17) + k }));
    const line = orders.map((o) => `x,${o.contactId},y`).join("\n");
    const fromString = new OrderFold(day("2024-12-31"));
    const fromSpans = new OrderFold(day("2024-12-31"));
    // Act
    let at = 0;
    for (const o of orders) {
      fromString.add(o.contactId, o.createdAt, o.total);
      fromSpans.addSpan(line, at + 2, at + 2 + o.contactId.length, o.createdAt, o.total);
      at += o.contactId.length + 5;
    }
    // Assess: each contact's history as from its orders alone (grouped by a Map of the ids), contacts in the order first seen.
    const byId = new Map<string, Order[]>();
    for (const o of orders) byId.set(o.contactId, [...(byId.get(o.contactId) ?? []), o]);
    const expected = [...byId.values()].map((own) => contactHistories(own, day("2024-12-31"))[0]);
    expect(expected).toHaveLength(new Set(ids).size);
    expect(fromString.histories()).toEqual(expected);
    expect(fromSpans.histories()).toEqual(expected);
  });

  it("orders of one time keep the order they came in, and a credit note nets the purchase days before it", () => {
    // Prepare
    const fold = new OrderFold(day("2024-01-31"));
    // Act
    fold.add("a", Date.parse("2024-01-10T10:00:00Z"), 0.1);
    fold.add("a", Date.parse("2024-01-05T10:00:00Z"), 0.2);
    fold.add("a", Date.parse("2024-01-10T10:00:00Z"), 0.7);
    fold.add("a", Date.parse("2024-01-12T10:00:00Z"), -0.5);
    fold.add("b", Date.parse("2024-01-12T10:00:00Z"), -5);
    const histories = fold.histories();
    // Assess: 0.2 + 0.1 + 0.7 in that order (floating point keeps the order visible), the credit taken from the 10th.
    expect(histories).toEqual([
      { contactId: "a", orderCount: 3, revenue: 0.2 + 0.1 + 0.7 - 0.5, firstOrderAt: Date.parse("2024-01-05T10:00:00Z"), lastOrderAt: Date.parse("2024-01-10T10:00:00Z"), purchaseDays: [dayNumber(day("2024-01-05")), dayNumber(day("2024-01-10"))], dayRevenue: [0.2, 0.1 + 0.7 - 0.5] },
    ]);
  });
});
