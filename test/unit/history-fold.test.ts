import { describe, expect, it } from "vitest";
import { scoreContacts, storePopulation } from "../../functions/domain/clv/contact-scores.js";
import { HistoryFold, runModelsOnFold } from "../../functions/domain/clv/history-fold.js";
import { calibrationEndDayOf, runModels } from "../../functions/domain/clv/model-run.js";
import { contactHistories, dayNumber, type ContactHistory } from "../../functions/domain/clv/order-history.js";
import { storeAverages } from "../../functions/domain/segments/segment-membership.js";
import { planNightlyRun } from "../../functions/domain/nightly/nightly-scoring.js";
import { cdnowSampleOrders } from "../support/cdnow.js";

/** The CDNOW sample (2,357 customers, Fader, Hardie & Lee 2005) as of 1998-06-30: an eligible store. */
const asOf = Date.parse("1998-06-30T00:00:00Z");
const histories = contactHistories(cdnowSampleOrders(), asOf);
const asOfDay = dayNumber(asOf);
const firstDay = Math.min(...histories.map((h) => h.purchaseDays[0]!));
const calibrationEndDay = calibrationEndDayOf(firstDay, asOfDay);

function foldOf(contacts: readonly ContactHistory[], split = calibrationEndDay): HistoryFold {
  const fold = new HistoryFold(asOf, split);
  for (const h of contacts) fold.add(h);
  return fold;
}

describe("the fold of a night's contacts", () => {
  it("fits the same models as every history in memory", () => {
    // Prepare: the whole store at once, and the store as a fold.
    const expected = runModels(histories, asOf);
    // Act
    const run = runModelsOnFold(foldOf(histories));
    // Assess: the same holdout split, candidates and chosen fits.
    expect(expected.purchaseModel).toBeDefined();
    expect(run.holdout).toMatchObject({ calibrationEnd: expected.holdout!.calibrationEnd, holdoutDays: expected.holdout!.holdoutDays, contacts: expected.holdout!.contacts });
    for (const [i, c] of expected.holdout!.candidates.entries()) {
      expect(run.holdout!.candidates[i]!.model).toBe(c.model);
      expect(run.holdout!.candidates[i]!.meanAbsoluteError).toBeCloseTo(c.meanAbsoluteError!, 10);
      expect(run.holdout!.candidates[i]!.fit!.logLikelihood).toBeCloseTo(c.fit!.logLikelihood, 6);
    }
    expect(run.purchaseModel!.model).toBe(expected.purchaseModel!.model);
    expect(run.purchaseModel!.logLikelihood).toBeCloseTo(expected.purchaseModel!.logLikelihood, 6);
    for (const [name, value] of Object.entries(expected.purchaseModel!.params)) expect(run.purchaseModel!.params[name]).toBeCloseTo(value, 5);
    // Spend rows are kept to the cent: Gamma-Gamma's parameters agree to 3 significant digits.
    for (const [name, value] of Object.entries(expected.spendModel!.params)) expect(run.spendModel!.params[name as "p"] / value).toBeCloseTo(1, 3);
  });

  it("gives the store's RFM scale, average order value and every figure's average of scoring every contact", () => {
    // Prepare
    const fold = foldOf(histories);
    const run = runModels(histories, asOf);
    // Act
    const population = fold.population();
    // Assess
    expect(population.rfm).toEqual(storePopulation(histories, asOf).rfm);
    expect(population.averageOrderValue).toBeCloseTo(storePopulation(histories, asOf).averageOrderValue, 9);
    const expected = storeAverages(scoreContacts(histories, asOf, run, undefined, population), asOf);
    const averages = fold.storeAverages(run, population);
    expect(Object.keys(averages).sort()).toEqual(Object.keys(expected).sort());
    for (const [field, value] of Object.entries(expected)) expect(averages[field]! / value!, field).toBeCloseTo(1, 9);
  });

  it("merges scan segments' folds into the fold of the whole store, with fewer rows than contacts", () => {
    // Prepare: four "scan segments" of the contacts.
    const parts = [0, 1, 2, 3].map((k) => foldOf(histories.filter((_, i) => i % 4 === k)));
    // Act
    const merged = parts[0]!;
    for (const part of parts.slice(1)) merged.merge(part);
    // Assess
    const whole = foldOf(histories);
    expect(merged.facts).toEqual(whole.facts);
    expect(merged.sums.historicClv).toBeCloseTo(whole.sums.historicClv, 6);
    const rows = (f: HistoryFold) => {
      const t = f.tables("days").allData;
      return new Map(Array.from({ length: t.length }, (_, i) => [`${t.frequency[i]}|${t.recency[i]}|${t.T[i]}`, t.weight[i]]));
    };
    expect(rows(merged)).toEqual(rows(whole));
    expect(merged.population().rfm).toEqual(whole.population().rfm);
    expect(merged.population().averageOrderValue).toBeCloseTo(whole.population().averageOrderValue, 9);
    expect(merged.monthlyPurchases()).toEqual(whole.monthlyPurchases());
    expect(merged.allData.length).toBeLessThan(histories.length / 1.5);
    // Purchase days per month: CDNOW's first cohort bought in January to March 1997.
    const months = merged.monthlyPurchases();
    expect([...months.keys()][0]).toBe("1997-01");
    expect([...months.values()].reduce((a, b) => a + b, 0)).toBe(histories.reduce((n, h) => n + h.purchaseDays.length, 0));
  });

  it("refuses to merge folds split at different days, and says which split the whole store needs", () => {
    // Act
    const wrong = foldOf(histories.slice(0, 10), asOfDay);
    // Assess
    expect(() => foldOf(histories.slice(10)).merge(wrong)).toThrow(/different nights or calibration windows/);
    expect(wrong.expectedCalibrationEndDay()).not.toBe(asOfDay);
    expect(foldOf(histories).expectedCalibrationEndDay()).toBe(calibrationEndDay);
    expect(new HistoryFold(asOf, asOfDay).expectedCalibrationEndDay()).toBeUndefined();
  });

  it("plans a night with the store's first purchase day and its purchases per month", () => {
    // Act
    const plan = planNightlyRun(histories, asOf, 4);
    // Assess
    expect(plan.firstPurchaseDay).toBe(firstDay);
    expect(Object.keys(plan.monthlyPurchases!)).toContain("1997-03");
    expect(plan.run.purchaseModel).toBeDefined();
  });
});
