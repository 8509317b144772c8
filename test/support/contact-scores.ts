import { ContactScores } from "../../functions/domain/clv/contact-scores.js";

/**
 * A contact's figures for tests: by default a one-order contact the models could not predict (no
 * second order: no gap, no predictions, no churn risk), RFM 1/1/1 "Lost"; `over` changes any figure.
 * Checked against the one schema, so a test cannot build figures the store would refuse to read.
 */
export function contactScores(over: Partial<ContactScores> = {}): ContactScores {
  return ContactScores.parse({
    contactId: "c-0",
    orderCount: 1,
    firstOrderAt: "2024-01-01T00:00:00.000Z",
    lastOrderAt: "2024-01-01T00:00:00.000Z",
    historicClv: 10,
    averageOrderValue: 10,
    averageDaysBetweenOrders: null,
    predictedOrders12m: null,
    predictedClv12m: null,
    totalClv: null,
    pAlive: null,
    churnRisk: null,
    churnBand: null,
    expectedNextOrderAt: null,
    rfmRecency: 1,
    rfmFrequency: 1,
    rfmMonetary: 1,
    rfmGroup: "Lost",
    ...over,
  });
}
