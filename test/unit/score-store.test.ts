import { describe, expect, it } from "vitest";
import { churnBand } from "../../functions/domain/clv/contact-scores.js";
import type { Order } from "../../functions/domain/clv/order-history.js";
import { scoreStore } from "../../functions/domain/clv/score-store.js";
import { simulateBgNbd } from "../support/simulate.js";

const DAY = 86_400_000;
const asOf = Date.parse("2024-06-30T00:00:00Z");

/** A store of `count` contacts drawn from BG/NBD in days, first orders over `historyDays`, as orders. */
function simulatedOrders(count: number, historyDays: number, seed = 11): Order[] {
  const customers = simulateBgNbd({ r: 0.5, alpha: 40, a: 0.8, b: 2.5 }, count, { seed, T: (random) => Math.floor(random() * historyDays), spend: { p: 6, q: 4, gamma: 60 }, roundTo: 1 });
  const orders: Order[] = [];
  customers.forEach(({ summary: s }, i) => {
    const first = asOf - s.T * DAY + 10 * 3_600_000;
    orders.push({ orderId: `${i}-0`, contactId: `c${i}`, createdAt: first, total: 40 });
    for (let k = 1; k <= s.frequency; k++) {
      orders.push({ orderId: `${i}-${k}`, contactId: `c${i}`, createdAt: first + Math.round((s.recency * k) / s.frequency) * DAY, total: s.monetaryValue! });
    }
  });
  return orders;
}

describe("scoring a store", () => {
  it("a store too small for predictions still gets every figure that needs no model, and the reasons", () => {
    // Prepare
    const orders: Order[] = [
      { orderId: "1", contactId: "ann", createdAt: asOf - 40 * DAY, total: 30 },
      { orderId: "2", contactId: "ann", createdAt: asOf - 10 * DAY, total: 50 },
      { orderId: "3", contactId: "ben", createdAt: asOf - 20 * DAY, total: 25 },
    ];
    // Act
    const { run, scores } = scoreStore(orders, asOf);
    // Assess
    expect(run.eligibility.eligible).toBe(false);
    expect(run.purchaseModel).toBeUndefined();
    expect(run.reasons).toContain("2 customers have placed an order; predictions need at least 500");
    const ann = scores.find((s) => s.contactId === "ann")!;
    expect(ann).toMatchObject({ orderCount: 2, historicClv: 80, averageOrderValue: 40, averageDaysBetweenOrders: 30, predictedOrders12m: null, predictedClv12m: null, totalClv: null, pAlive: null, churnRisk: null, churnBand: null, expectedNextOrderAt: null });
    expect(ann.rfmRecency).toBeGreaterThan(scores.find((s) => s.contactId === "ben")!.rfmRecency);
  });

  it("an eligible store gets predictions for every contact, consistent with each other", () => {
    // Act
    const { run, scores } = scoreStore(simulatedOrders(3000, 540), asOf);
    // Assess
    expect(run.eligibility.eligible, run.reasons.join("; ")).toBe(true);
    expect(run.purchaseModel).toBeDefined();
    expect(run.spendModel).toBeDefined();
    expect(run.holdout!.candidates.filter((c) => c.meanAbsoluteError !== undefined).length).toBeGreaterThanOrEqual(2);
    for (const s of scores) {
      expect(s.predictedOrders12m).toBeGreaterThanOrEqual(0);
      expect(s.predictedClv12m).toBeGreaterThanOrEqual(0);
      expect(s.totalClv).toBeCloseTo(s.historicClv + s.predictedClv12m!, 8);
      expect(s.pAlive).toBeGreaterThan(0);
      expect(s.pAlive).toBeLessThanOrEqual(1);
      expect(s.churnRisk).toBeGreaterThanOrEqual(0);
      expect(s.churnRisk).toBeLessThanOrEqual(1);
      expect(s.churnBand).toBe(churnBand(s.churnRisk!));
      // The median wait counts from the scoring day (the contact has bought nothing since its last order).
      if (s.expectedNextOrderAt !== null) expect(s.expectedNextOrderAt > new Date(asOf).toISOString().slice(0, 10)).toBe(true);
    }
  });

  it("a discount rate lowers predicted CLV, never predicted orders", () => {
    // Prepare
    const orders = simulatedOrders(1500, 400, 5);
    const plain = scoreStore(orders, asOf);
    const discounted = scoreStore(orders, asOf, { scoring: { predictionDays: 365, churnHorizonDays: 90, annualDiscountRate: 0.1 } });
    const i = plain.scores.findIndex((s) => (s.predictedClv12m ?? 0) > 1);
    // Act and assess
    expect(discounted.scores[i]!.predictedOrders12m).toBe(plain.scores[i]!.predictedOrders12m);
    expect(discounted.scores[i]!.predictedClv12m!).toBeLessThan(plain.scores[i]!.predictedClv12m!);
    expect(discounted.scores[i]!.predictedClv12m!).toBeGreaterThan(plain.scores[i]!.predictedClv12m! / 1.1);
  });
});
