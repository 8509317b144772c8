import { describe, expect, it } from "vitest";
import type { ContactScores } from "../../functions/domain/clv/contact-scores.js";
import { parseSegmentDefinition, type SegmentDefinition } from "../../functions/domain/segments/segment-definition.js";
import { isMember, storeAverages, type SegmentContact } from "../../functions/domain/segments/segment-membership.js";
import { segmentAnalytics } from "../../functions/domain/segments/segment-analytics.js";
import { segmentTemplates } from "../../functions/domain/segments/segment-templates.js";
import { contactScores } from "../support/contact-scores.js";

const NOW = Date.parse("2024-06-30T12:00:00Z");
const DAY = 86_400_000;

/** A two-order contact the models predicted, RFM "Need attention": the shared factory with this file's figures. */
function scores(over: Partial<ContactScores> = {}): ContactScores {
  return contactScores({
    contactId: "c",
    orderCount: 2,
    firstOrderAt: "2024-01-01T10:00:00.000Z",
    lastOrderAt: "2024-06-01T10:00:00.000Z",
    historicClv: 120,
    averageOrderValue: 60,
    averageDaysBetweenOrders: 152,
    predictedOrders12m: 0.6,
    predictedClv12m: 40,
    totalClv: 160,
    pAlive: 0.7,
    churnRisk: 0.8,
    churnBand: "high",
    expectedNextOrderAt: "2024-09-01",
    rfmRecency: 3,
    rfmFrequency: 3,
    rfmMonetary: 3,
    rfmGroup: "Need attention",
    ...over,
  });
}

function contact(over: Omit<Partial<SegmentContact>, "scores"> & { scores?: Partial<ContactScores> | null } = {}): SegmentContact {
  const { scores: s, ...rest } = over;
  return {
    contactId: "c",
    profile: { subscription: "subscribed", email: "c@example.com", firstName: "Ann", country: "ES" },
    ...(s !== null && { scores: scores(s ?? {}) }),
    orderTimes: [Date.parse("2024-01-01T10:00:00Z"), Date.parse("2024-06-01T10:00:00Z")],
    emailEvents: [],
    ...rest,
  };
}

const template = (id: string) => segmentTemplates.find((t) => t.id === id)!;
const context = { now: NOW, storeAverages: { predictedClv12m: 50, historicClv: 200 } };

describe("the shipped templates", () => {
  it("Low CLV: subscribed AND CLV (12m) < 100 AND predicted orders (12m) < 1 (Connectif)", () => {
    // Prepare
    const lowClv = template("low-clv");
    // Act and assess
    expect(isMember(lowClv, contact(), context)).toBe(true);
    expect(isMember(lowClv, contact({ profile: { subscription: "unsubscribed", email: "c@example.com" } }), context)).toBe(false);
    expect(isMember(lowClv, contact({ scores: { predictedClv12m: 100 } }), context)).toBe(false);
    expect(isMember(lowClv, contact({ scores: { predictedOrders12m: 1 } }), context)).toBe(false);
    // No prediction (a store not eligible) is not "below 100".
    expect(isMember(lowClv, contact({ scores: { predictedClv12m: null, predictedOrders12m: null } }), context)).toBe(false);
  });

  it("Win-Back: RFM frequency ∈ {3,4,5} AND monetary ∈ {3,4,5} AND recency = 1 (Connectif)", () => {
    // Prepare
    const winBack = template("win-back");
    // Act and assess
    expect(isMember(winBack, contact({ scores: { rfmFrequency: 5, rfmMonetary: 4, rfmRecency: 1 } }), context)).toBe(true);
    expect(isMember(winBack, contact({ scores: { rfmFrequency: 5, rfmMonetary: 4, rfmRecency: 2 } }), context)).toBe(false);
    expect(isMember(winBack, contact({ scores: { rfmFrequency: 2, rfmMonetary: 4, rfmRecency: 1 } }), context)).toBe(false);
    expect(isMember(winBack, contact({ scores: null }), context)).toBe(false);
  });

  it("Klaviyo's example: predicted CLV ≤ 5 AND subscribed AND opened an e-mail in the last 90 days", () => {
    // Prepare
    const klaviyo = template("low-predicted-engaged");
    const opened = [{ type: "opened" as const, at: NOW - 30 * DAY }];
    // Act and assess
    expect(isMember(klaviyo, contact({ scores: { predictedClv12m: 5 }, emailEvents: opened }), context)).toBe(true);
    expect(isMember(klaviyo, contact({ scores: { predictedClv12m: 5 }, emailEvents: [{ type: "opened", at: NOW - 91 * DAY }] }), context)).toBe(false);
    expect(isMember(klaviyo, contact({ scores: { predictedClv12m: 6 }, emailEvents: opened }), context)).toBe(false);
  });
});

const within = (match: unknown): SegmentDefinition => parseSegmentDefinition({ id: "t", name: "t", match: { all: [match] } });

describe("operators", () => {
  const c = contact();
  it.each<[string, unknown, boolean]>([
    ["is", { field: "rfmRecency", op: "is", value: 3 }, true],
    ["is not", { field: "rfmRecency", op: "isNot", value: 3 }, false],
    ["is one of", { field: "rfmRecency", op: "isOneOf", values: [1, 3] }, true],
    ["<", { field: "churnRisk", op: "lt", value: 0.8 }, false],
    ["≤", { field: "churnRisk", op: "lte", value: 0.8 }, true],
    [">", { field: "historicClv", op: "gt", value: 119.99 }, true],
    ["≥", { field: "historicClv", op: "gte", value: 121 }, false],
    ["between (inclusive)", { field: "pAlive", op: "between", min: 0.7, max: 0.9 }, true],
    ["is empty", { field: "averageDaysBetweenOrders", op: "isEmpty" }, false],
    ["below the store's average CLV (12m)", { field: "predictedClv12m", op: "lt", value: { storeAverageOf: "predictedClv12m" } }, true],
    ["above half the store's average historic CLV", { field: "historicClv", op: "gt", value: { storeAverageOf: "historicClv", times: 0.5 } }, true],
    ["days since last order", { field: "daysSinceLastOrder", op: "gte", value: 29 }, true],
    ["text is", { field: "country", op: "is", value: "ES" }, true],
    ["text is one of", { field: "churnBand", op: "isOneOf", values: ["medium", "high"] }, true],
    ["text is empty", { field: "firstName", op: "isEmpty" }, false],
    ["has e-mail", { field: "hasEmail", op: "is", value: true }, true],
    ["placed ≥ 1 order in the last 30 days", { activity: "placedOrders", days: 30, op: "gte", value: 1 }, true],
    ["placed 0 orders in the last 7 days", { activity: "placedOrders", days: 7, op: "is", value: 0 }, true],
    ["clicked an e-mail in the last 30 days", { activity: "clickedEmail", days: 30 }, false],
    ["did not receive e-mail X", { activity: "receivedEmail", emailId: "x", negate: true }, true],
  ])("%s", (_name, condition, expected) => {
    expect(isMember(within(condition), c, context)).toBe(expected);
  });

  it("AND/OR groups nest", () => {
    // Prepare
    const definition = parseSegmentDefinition({
      id: "nested",
      name: "nested",
      match: { any: [{ field: "rfmRecency", op: "is", value: 5 }, { all: [{ field: "country", op: "is", value: "ES" }, { field: "churnBand", op: "is", value: "high" }] }] },
    });
    // Act and assess
    expect(isMember(definition, contact(), context)).toBe(true);
    expect(isMember(definition, contact({ scores: { churnBand: "low" } }), context)).toBe(false);
  });
});

describe("invalid definitions are refused with the path of the bad part", () => {
  it.each<[string, unknown, string]>([
    ["unknown field", { field: "lifetimeValue", op: "lt", value: 1 }, 'match.all.0.field: "lifetimeValue" is not a field'],
    ["a number compared with text", { field: "churnRisk", op: "lt", value: "high" }, "match.all.0.value: expected a number or { storeAverageOf, times }"],
    ["a subscription status that does not exist", { field: "subscription", op: "is", value: "yes" }, "subscription is one of subscribed, unsubscribed, never_subscribed, suppressed"],
    ["an RFM group that does not exist", { field: "rfmGroup", op: "isOneOf", values: ["VIP"] }, "rfmGroup is one of"],
    ["is one of without values", { field: "rfmRecency", op: "isOneOf", values: [] }, "match.all.0.values: needs at least one value"],
    ["an activity without days", { activity: "openedEmail" }, "match.all.0.days"],
  ])("%s", (_name, condition, message) => {
    expect(() => within(condition)).toThrow(message);
  });

  it("an empty group and a bad id", () => {
    // Act and assess
    expect(() => parseSegmentDefinition({ id: "Low CLV!", name: "x", match: { all: [] } })).toThrow(/id: must be lower-case.*\n.*match/s);
  });
});

describe("segment analytics", () => {
  it("size, average CLVs, predicted revenue, expected returning customers, RFM mix", () => {
    // Prepare
    const members = [scores({ churnRisk: 0.2, predictedClv12m: 100, totalClv: 220 }), scores({ churnRisk: 0.6, predictedClv12m: 50, totalClv: 170, rfmGroup: "Loyal" })];
    // Act
    const analytics = segmentAnalytics(members);
    // Assess
    expect(analytics).toMatchObject({ size: 2, averageHistoricClv: 120, averagePredictedClv12m: 75, averageTotalClv: 195, predictedRevenue12m: 150, rfmMix: { "Need attention": 1, Loyal: 1 } });
    expect(analytics.expectedReturningCustomers).toBeCloseTo(1.2, 10);
  });

  it("store averages skip contacts without the figure", () => {
    // Act
    const averages = storeAverages([scores({ predictedClv12m: 10 }), scores({ predictedClv12m: null })], NOW);
    // Assess
    expect(averages.predictedClv12m).toBe(10);
    expect(averages.historicClv).toBe(120);
  });
});

describe("segment contacts from what the store keeps", () => {
  it("counts purchase days as orders for activity conditions", async () => {
    // Prepare
    const { segmentContact, segmentMembers } = await import("../../functions/domain/segments/segment-membership.js");
    const history = { contactId: "h", orderCount: 3, revenue: 90, firstOrderAt: NOW - 100 * DAY, lastOrderAt: NOW - 2 * DAY, purchaseDays: [Math.floor((NOW - 100 * DAY) / DAY), Math.floor((NOW - 2 * DAY) / DAY)], dayRevenue: [30, 60] };
    // Act
    const c = segmentContact("h", { profile: { subscription: "subscribed" }, scores: scores({ contactId: "h" }), history });
    // Assess
    expect(c.orderTimes).toHaveLength(2);
    const recentBuyers = within({ activity: "placedOrders", days: 7, op: "gte", value: 1 });
    expect(segmentMembers(recentBuyers, [c, contact({ orderTimes: [] })], context).map((m) => m.contactId)).toEqual(["h"]);
  });
});
