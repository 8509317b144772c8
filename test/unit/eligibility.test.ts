import { describe, expect, it } from "vitest";
import { checkEligibility } from "../../functions/domain/clv/eligibility.js";
import { contactHistories, type Order } from "../../functions/domain/clv/order-history.js";

const DAY = 86_400_000;
const asOf = Date.parse("2024-06-30T00:00:00Z");

function store(customers: number, historyDays: number, daysSinceLast: number, threePlus: number): Order[] {
  const orders: Order[] = [];
  for (let c = 0; c < customers; c++) {
    const first = asOf - historyDays * DAY + (c % 7) * DAY;
    orders.push({ orderId: `${c}-1`, contactId: `c${c}`, createdAt: first, total: 20 });
    if (c < threePlus) for (const k of [2, 3]) orders.push({ orderId: `${c}-${k}`, contactId: `c${c}`, createdAt: first + k * DAY, total: 20 });
  }
  orders.push({ orderId: "last", contactId: "c0", createdAt: asOf - daysSinceLast * DAY, total: 20 });
  return orders;
}

describe("eligibility for predictions (Klaviyo's rules, seeds/004)", () => {
  it("a store that meets every rule is eligible", () => {
    // Act
    const result = checkEligibility(contactHistories(store(600, 400, 3, 50), asOf), asOf);
    // Assess
    expect(result.eligible).toBe(true);
    expect(result.reasons).toEqual([]);
  });

  it("names each unmet rule with the figures", () => {
    // Act
    const result = checkEligibility(contactHistories(store(120, 90, 45, 0), asOf), asOf);
    // Assess
    expect(result.eligible).toBe(false);
    expect(result.checks.filter((c) => !c.met).map((c) => c.rule)).toEqual(["customers-with-orders", "history-days", "recent-orders", "customers-with-3-orders"]);
    expect(result.reasons[0]).toBe("120 customers have placed an order; predictions need at least 500");
    expect(result.reasons[1]).toBe("the order history spans 90 days; predictions need at least 180");
    expect(result.reasons[2]).toBe("the last order was 45 days ago; predictions need orders in the last 30 days");
  });

  it("a store with no orders is not eligible and says why", () => {
    // Act
    const result = checkEligibility([], asOf);
    // Assess
    expect(result.eligible).toBe(false);
    expect(result.reasons).toHaveLength(4);
  });
});
