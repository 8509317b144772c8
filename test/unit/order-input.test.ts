import { describe, expect, it } from "vitest";
import { parseCalendarTime, parseOrderTime } from "../../functions/domain/input/calendar-time.js";
import { amountIn, minorUnit } from "../../functions/domain/store/money.js";
import { netTotal, orderInput } from "../../functions/domain/store/order.js";
import { contactHistories } from "../../functions/domain/clv/order-history.js";

const NOW = Date.parse("2024-06-10T12:00:00Z");
const order = { id: "o-1", contactId: "ann", createdAt: "2024-05-31T10:00:00Z", total: 30, currency: "GBP" };
const parse = (body: unknown, storeCurrency = "GBP") => orderInput({ storeCurrency, now: () => NOW }).safeParse(body);
const issues = (body: unknown, storeCurrency = "GBP") => {
  const parsed = parse(body, storeCurrency);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("order dates: only real calendar dates, within the store's range", () => {
  it.each([
    ["2024-02-30", /not a date: 2024-02 has 29 days/],
    ["2023-02-29", /2023-02 has 28 days/],
    ["2024-04-31T10:00:00Z", /2024-04 has 30 days/],
    ["2024-13-01", /no month 13/],
    ["2024-06-01T24:00:00Z", /not a time of day/],
    ["2024-06-01T10:60:00Z", /not a time of day/],
    ["0001-01-01", /before 1995-01-01/],
    ["1900-01-01", /before 1995-01-01/],
    ["0011-06-01", /before 1995-01-01/],
    ["2024-06-11T12:00:01Z", /in the future/],
    ["yesterday", /expected a date like 2024-05-31/],
    ["2024-06-01T10:00:00", /expected a date like/], // no zone: which day it was is unknown
  ])("refuses %s naming createdAt", (createdAt, message) => {
    // Prepare, Act
    const found = issues({ ...order, createdAt });
    // Assess
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^createdAt: /);
    expect(found[0]).toMatch(message);
  });

  it("takes leap days, offsets and a day ahead of the clock", () => {
    // Act and assess
    expect(parse({ ...order, createdAt: "2024-02-29" })).toMatchObject({ success: true, data: { createdAt: "2024-02-29T00:00:00Z" } });
    expect(parse({ ...order, createdAt: "2024-06-01T10:00+14:00" }).success).toBe(true);
    expect(parse({ ...order, createdAt: "2024-06-11T11:59:59Z" }).success).toBe(true);
    expect(parse({ ...order, createdAt: "1995-01-01" }).success).toBe(true);
  });

  it("takes an earlier earliest date when the store says so", () => {
    // Act and assess
    expect(parseOrderTime("1990-05-01", { earliest: "1990-01-01", now: () => NOW })).toMatchObject({ iso: "1990-05-01T00:00:00Z" });
    expect(orderInput({ storeCurrency: "GBP", earliestOrderDate: "2020-01-01", now: () => NOW }).safeParse({ ...order, createdAt: "2019-12-31" }).success).toBe(false);
  });

  it("reads calendar times without a range for other files", () => {
    // Act and assess
    expect(parseCalendarTime("1970-01-01")).toEqual({ ms: 0, iso: "1970-01-01T00:00:00Z" });
    expect(parseCalendarTime("2021-02-29")).toHaveProperty("error");
  });
});

describe("money: totals in the currency's minor unit", () => {
  it("knows the minor units of ISO 4217 (Intl)", () => {
    // Act and assess
    expect([minorUnit("JPY"), minorUnit("GBP"), minorUnit("KWD")]).toEqual([0, 2, 3]);
  });

  it("rounds away binary noise and refuses what rounding would change", () => {
    // Act and assess
    expect(amountIn(0.1 + 0.2, "GBP")).toEqual({ amount: 0.3 });
    expect(amountIn(1200, "JPY")).toEqual({ amount: 1200 });
    expect(amountIn(1.234, "KWD")).toEqual({ amount: 1.234 });
    expect(amountIn(12.345, "GBP")).toHaveProperty("error");
    expect(amountIn(1200.5, "JPY")).toHaveProperty("error");
    expect(amountIn(1.2345, "KWD")).toHaveProperty("error");
  });

  it.each([
    [5e-324, "GBP", /has more decimals than GBP has/],
    [1e-40, "GBP", /has more decimals than GBP has/],
    [12.345, "GBP", /send it in 2 decimals/],
    [100.5, "JPY", /send it in whole units/],
    [1e12, "GBP", /implausibly large/],
    [-0.001, "GBP", /has more decimals than GBP has/],
    [-2e9, "GBP", /implausibly large/],
  ])("refuses total %s %s with a clear message", (total, currency, message) => {
    const found = issues({ ...order, total, currency }, currency);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^total: /);
    expect(found[0]).toMatch(message);
  });

  it("keeps an accepted total within DynamoDB's 38 digits", () => {
    // Act
    const parsed = parse({ ...order, total: 0.1 + 0.2 });
    // Assess
    expect(parsed.success && parsed.data.total).toBe(0.3);
    expect(String(parsed.success && parsed.data.total).replace(/\D/g, "").length).toBeLessThanOrEqual(38);
  });
});

describe("the store's currency", () => {
  it("refuses an order in another currency without its rate, naming both currencies", () => {
    // Act and assess
    expect(issues({ ...order, currency: "EUR" })).toEqual([
      "currency: is EUR but the store counts in GBP: send exchangeRate (GBP per EUR) or totalInStoreCurrency with it",
    ]);
  });

  it("converts with the rate sent, rounded to the store's minor unit, and keeps what was sent", () => {
    // Act
    const parsed = parse({ ...order, currency: "JPY", total: 10_000, exchangeRate: 0.0052 });
    // Assess
    expect(parsed.success && parsed.data).toMatchObject({ total: 52, currency: "GBP", originalTotal: 10_000, originalCurrency: "JPY", exchangeRate: 0.0052 });
    const euros = parse({ ...order, currency: "EUR", total: 100, exchangeRate: 0.85337 });
    expect(euros.success && euros.data.total).toBe(85.34);
  });

  it("takes the total in the store's currency instead of a rate", () => {
    // Act
    const parsed = parse({ ...order, currency: "EUR", total: 100, totalInStoreCurrency: 85.5 });
    // Assess
    expect(parsed.success && parsed.data).toMatchObject({ total: 85.5, currency: "GBP", originalTotal: 100, originalCurrency: "EUR", exchangeRate: 0.855 });
  });

  it("refuses a rate that is not a positive number, or a rate on an order in the store's own currency", () => {
    // Act and assess
    expect(issues({ ...order, currency: "EUR", exchangeRate: 0 })).toEqual(["exchangeRate: must be a number above 0"]);
    expect(issues({ ...order, currency: "EUR", exchangeRate: "0.85" })).toEqual(["exchangeRate: expected a number, got a string"]);
    expect(issues({ ...order, exchangeRate: 1.2 })).toEqual(["exchangeRate: the order is in the store's currency (GBP): leave it out"]);
    expect(issues({ ...order, currency: "XYZ" })).toEqual(["currency: is not a currency we know (ISO 4217, such as EUR)"]);
  });

  it("100 EUR + 100 GBP + 10,000 JPY are added in the store's currency, not as 10,200", () => {
    // Prepare
    const totals = [
      parse({ ...order, currency: "EUR", total: 100, exchangeRate: 0.85 }),
      parse({ ...order, total: 100 }),
      parse({ ...order, currency: "JPY", total: 10_000, exchangeRate: 0.0052 }),
    ].map((p) => (p.success ? p.data.total : Number.NaN));
    // Act and assess
    expect(totals.reduce((a, b) => a + b, 0)).toBeCloseTo(85 + 100 + 52, 9);
  });
});

describe("validation messages say what is wrong", () => {
  it.each([
    [{ ...order, id: "x".repeat(129) }, "id: at most 128 characters"],
    [{ ...order, contactId: "x".repeat(129) }, "contactId: at most 128 characters"],
    [{ ...order, total: "30" }, "total: expected a number, got a string"],
    [{ ...order, id: 17 }, "id: expected a string, got a number"],
    [{ ...order, createdAt: null }, "createdAt: expected a string, got null"],
    [{ ...order, currency: ["GBP"] }, "currency: expected a string, got an array"],
    [{ ...order, total: undefined }, "total: is missing"],
    [{ ...order, status: "shipped" }, "status: must be one of placed, cancelled, refunded"],
  ])("%j → %s", (body, message) => {
    expect(issues(body)).toEqual([message]);
  });
});

describe("credit notes: a negative total without the order it cancels", () => {
  it("is read as a credit note in the store's currency", () => {
    // Act and assess
    expect(parse({ ...order, total: -12.5 })).toMatchObject({ success: true, data: { total: -12.5, status: "placed" } });
    expect(parse({ ...order, currency: "EUR", total: -100, exchangeRate: 0.85 })).toMatchObject({ success: true, data: { total: -85, currency: "GBP" } });
  });

  it("nets a contact's revenue and is no purchase (Online Retail customer 12346: £77,183.60 ordered and cancelled 16 minutes later)", () => {
    // Prepare: the order and its C-invoice as data/online-retail has them (UCI Online Retail, invoices 541431 and C541433)
    const orders = [
      { orderId: "541431", contactId: "12346", createdAt: Date.parse("2011-01-18T10:01:00Z"), total: 77183.6 },
      { orderId: "C541433", contactId: "12346", createdAt: Date.parse("2011-01-18T10:17:00Z"), total: -77183.6 },
    ];
    // Act
    const [history] = contactHistories(orders, Number.POSITIVE_INFINITY);
    // Assess
    expect(history).toMatchObject({ orderCount: 1, revenue: 0, dayRevenue: [0] });
  });

  it("takes a later partial refund off the latest purchase days, never below nothing, and alone makes no history", () => {
    // Prepare
    const day = (d: string) => Date.parse(`${d}T12:00:00Z`);
    // Act
    const [history] = contactHistories(
      [
        { orderId: "a", contactId: "k", createdAt: day("2024-01-01"), total: 50 },
        { orderId: "b", contactId: "k", createdAt: day("2024-02-01"), total: 20 },
        { orderId: "b/refund-1", contactId: "k", createdAt: day("2024-02-10"), total: -30 },
      ],
      Number.POSITIVE_INFINITY,
    );
    // Assess
    expect(history).toMatchObject({ orderCount: 2, revenue: 40, purchaseDays: [19723, 19754], dayRevenue: [40, 0] });
    expect(contactHistories([{ orderId: "C1", contactId: "gone", createdAt: day("2024-01-01"), total: -10 }], Number.POSITIVE_INFINITY)).toEqual([]);
  });
});

describe("refundedAmount: what was refunded of the order to date", () => {
  it("is rounded like a total, and the order counts at its net total", () => {
    // Act
    const parsed = parse({ ...order, refundedAmount: 0.1 + 0.2 });
    // Assess
    expect(parsed.success && parsed.data).toMatchObject({ total: 30, status: "placed", refundedAmount: 0.3 });
    expect(parsed.success && netTotal(parsed.data)).toBe(29.7);
    expect(netTotal({ total: 30, currency: "GBP" })).toBe(30);
  });

  it("refunded whole, makes the order a refunded one: no purchase, as Klaviyo counts only orders not refunded", () => {
    // Act and assess
    expect(parse({ ...order, refundedAmount: 30 })).toMatchObject({ success: true, data: { status: "refunded", refundedAmount: 30 } });
    expect(parse({ ...order, status: "cancelled", refundedAmount: 30 })).toMatchObject({ success: true, data: { status: "cancelled" } });
    // A free order refunded 0 is no refund.
    expect(parse({ ...order, total: 0, refundedAmount: 0 })).toMatchObject({ success: true, data: { status: "placed", refundedAmount: 0 } });
  });

  it("is converted at the order's rate, and refunded whole stays the whole total in the store's currency", () => {
    // Act
    const part = parse({ ...order, currency: "JPY", total: 10_000, exchangeRate: 0.0052, refundedAmount: 1_234 });
    const whole = parse({ ...order, currency: "EUR", total: 100, exchangeRate: 0.85337, refundedAmount: 100 });
    // Assess
    expect(part.success && part.data).toMatchObject({ total: 52, refundedAmount: 6.42, originalRefundedAmount: 1_234 });
    expect(whole.success && whole.data).toMatchObject({ total: 85.34, refundedAmount: 85.34, status: "refunded" });
  });

  it.each([
    [{ refundedAmount: 30.01 }, "refundedAmount: is 30.01 but the order's total is 30 GBP: at most the total can be refunded"],
    [{ refundedAmount: -0.01 }, "refundedAmount: must be 0 or more: what was refunded of the order to date"],
    [{ refundedAmount: 1.001 }, "refundedAmount: 1.001 has more decimals than GBP has: send it in 2 decimals (0.01)"],
    [{ refundedAmount: "5" }, "refundedAmount: expected a number, got a string"],
    [{ refundedAmount: Number.NaN }, "refundedAmount: expected a number, got NaN"],
    [{ currency: "JPY", total: 1000, exchangeRate: 0.0052, refundedAmount: 0.5 }, "refundedAmount: 0.5 has more decimals than JPY has: send it in whole units"],
  ])("refuses %j naming refundedAmount", (change, message) => {
    // Act and assess
    expect(issues({ ...order, ...change })).toEqual([message]);
  });
});
