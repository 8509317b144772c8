import { describe, expect, it } from "vitest";
import { purchaseTable, SummaryFold, summaryTable, type CustomerSummary } from "../../functions/domain/clv/customer-summary.js";

/** Summaries on a coarse grid, so many repeat: what a store's contacts look like at daily resolution. */
function summaries(count: number, withLitt: boolean): CustomerSummary[] {
  let seed = 3;
  const random = (k: number) => (seed = (seed * 48271) % 2147483647) % k;
  return Array.from({ length: count }, () => {
    const frequency = random(4);
    const T = 1 + random(60);
    const recency = frequency === 0 ? 0 : random(T + 1);
    return { frequency, recency, T, monetaryValue: frequency === 0 ? 0 : random(5) * 10, ...(withLitt && { logInterPurchaseTimes: frequency === 0 ? 0 : random(100) / 10 }) };
  });
}

describe("SummaryFold: summaryTable one summary at a time", () => {
  it("gives summaryTable's table, rows in the order first seen, when it has to grow many times", () => {
    // Prepare
    const rows = summaries(20_000, true);
    const fold = new SummaryFold({ expectedRows: 1 });
    // Act
    for (const s of rows) fold.add(s.frequency, s.recency, s.T, s.monetaryValue!, s.logInterPurchaseTimes);
    const table = fold.table();
    // Assess
    expect(table).toEqual(summaryTable(rows));
    expect(table.length).toBeGreaterThan(1_000);
    expect([...table.weight].reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(table.logInterPurchaseTimes).toBeCloseTo(rows.reduce((sum, s) => sum + s.logInterPurchaseTimes!, 0), 6);
  });

  it("folds rows differing only in spend when told to ignore it, and has no litt total unless every row had one", () => {
    // Prepare
    const rows = summaries(5_000, false);
    const fold = new SummaryFold({ ignoreMonetaryValue: true });
    // Act
    for (const s of rows) fold.add(s.frequency, s.recency, s.T, s.monetaryValue!, undefined);
    // Assess
    expect(fold.table()).toEqual(purchaseTable(rows));
    expect(fold.table().logInterPurchaseTimes).toBeUndefined();
    expect(new SummaryFold().table()).toMatchObject({ length: 0 });
    expect(new SummaryFold().table().logInterPurchaseTimes).toBeUndefined();
  });

  it("with spendOnly, folds on frequency and monetary value alone: summaryTable's table of the rows with recency and T 0, growing many times", () => {
    // Prepare
    let seed = 5;
    const random = (k: number) => (seed = (seed * 48271) % 2147483647) % k;
    const rows = Array.from({ length: 20_000 }, () => ({ frequency: 1 + random(6), recency: random(30), T: 30 + random(30), monetaryValue: random(2_000) / 100, logInterPurchaseTimes: random(100) / 10 }));
    const fold = new SummaryFold({ spendOnly: true, expectedRows: 1 });
    // Act
    for (const s of rows) fold.add(s.frequency, s.recency, s.T, s.monetaryValue, s.logInterPurchaseTimes, 2);
    const table = fold.table();
    // Assess
    expect(table).toEqual(summaryTable(rows.map((s) => ({ ...s, recency: 0, T: 0 })), rows.map(() => 2)));
    expect(table.length).toBeGreaterThan(5_000);
    expect([...table.weight].reduce((a, b) => a + b, 0)).toBe(40_000);
  });

  it("counts a summary with its weight", () => {
    // Prepare
    const fold = new SummaryFold();
    // Act
    fold.add(1, 2, 3, 4, 0.5, 2.5);
    fold.add(1, 2, 3, 4, 0.5);
    // Assess
    expect(fold.table()).toMatchObject({ length: 1, weight: Float64Array.of(3.5), logInterPurchaseTimes: 1.75 });
  });
});
