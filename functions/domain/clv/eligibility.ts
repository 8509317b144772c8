import { dayNumber, type ContactHistory } from "./order-history.js";

/**
 * When a store has enough history for predictions: Klaviyo's rules for predictive analytics
 * (seeds/004): at least 500 customers with an order, at least 180 days of orders, orders in the last
 * 30 days, and some customers with 3 or more orders.
 */
export interface EligibilityRules {
  minCustomersWithOrders: number;
  minHistoryDays: number;
  maxDaysSinceLastOrder: number;
  /** "Some" customers with 3+ orders: how many make "some". */
  minCustomersWithThreeOrders: number;
}

export const defaultEligibilityRules: EligibilityRules = {
  minCustomersWithOrders: 500,
  minHistoryDays: 180,
  maxDaysSinceLastOrder: 30,
  minCustomersWithThreeOrders: 10,
};

export interface EligibilityCheck {
  rule: "customers-with-orders" | "history-days" | "recent-orders" | "customers-with-3-orders";
  met: boolean;
  actual: number;
  required: string;
  /** The rule in the store's words, with the figures. */
  message: string;
}

export interface Eligibility {
  eligible: boolean;
  checks: EligibilityCheck[];
  /** The message of each unmet rule: why there are no predictions. */
  reasons: string[];
}

/** What the rules look at, added up over the contacts with orders (the nightly plan folds it scan segment by scan segment). */
export interface EligibilityFacts {
  customers: number;
  /** Epoch ms; Infinity / −Infinity without customers. */
  firstOrderAt: number;
  lastOrderAt: number;
  /** Customers with 3 or more orders. */
  threePlus: number;
}

export function checkEligibility(histories: readonly ContactHistory[], asOf: number, rules: EligibilityRules = defaultEligibilityRules): Eligibility {
  const facts: EligibilityFacts = { customers: histories.length, firstOrderAt: Infinity, lastOrderAt: -Infinity, threePlus: 0 };
  for (const h of histories) {
    facts.firstOrderAt = Math.min(facts.firstOrderAt, h.firstOrderAt);
    facts.lastOrderAt = Math.max(facts.lastOrderAt, h.lastOrderAt);
    if (h.orderCount >= 3) facts.threePlus++;
  }
  return eligibilityOf(facts, asOf, rules);
}

export function eligibilityOf({ customers, firstOrderAt: first, lastOrderAt: last, threePlus }: EligibilityFacts, asOf: number, rules: EligibilityRules = defaultEligibilityRules): Eligibility {
  const asOfDay = dayNumber(asOf);
  const historyDays = customers > 0 ? asOfDay - dayNumber(first) : 0;
  const daysSinceLast = customers > 0 ? asOfDay - dayNumber(last) : Infinity;
  const checks: EligibilityCheck[] = [
    {
      rule: "customers-with-orders",
      met: customers >= rules.minCustomersWithOrders,
      actual: customers,
      required: `≥ ${rules.minCustomersWithOrders}`,
      message: `${customers} customers have placed an order; predictions need at least ${rules.minCustomersWithOrders}`,
    },
    {
      rule: "history-days",
      met: historyDays >= rules.minHistoryDays,
      actual: historyDays,
      required: `≥ ${rules.minHistoryDays}`,
      message: `the order history spans ${historyDays} days; predictions need at least ${rules.minHistoryDays}`,
    },
    {
      rule: "recent-orders",
      met: daysSinceLast <= rules.maxDaysSinceLastOrder,
      actual: daysSinceLast,
      required: `≤ ${rules.maxDaysSinceLastOrder}`,
      message:
        customers > 0
          ? `the last order was ${daysSinceLast} days ago; predictions need orders in the last ${rules.maxDaysSinceLastOrder} days`
          : `there are no orders; predictions need orders in the last ${rules.maxDaysSinceLastOrder} days`,
    },
    {
      rule: "customers-with-3-orders",
      met: threePlus >= rules.minCustomersWithThreeOrders,
      actual: threePlus,
      required: `≥ ${rules.minCustomersWithThreeOrders}`,
      message: `${threePlus} customers have 3 or more orders; predictions need at least ${rules.minCustomersWithThreeOrders}`,
    },
  ];
  const reasons = checks.filter((c) => !c.met).map((c) => c.message);
  return { eligible: reasons.length === 0, checks, reasons };
}
