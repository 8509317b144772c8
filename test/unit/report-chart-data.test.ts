import { describe, expect, it } from "vitest";
import { scoreContacts } from "../../functions/domain/clv/contact-scores.js";
import { defaultModelRunOptions, purchaseModels, runModels } from "../../functions/domain/clv/model-run.js";
import { contactHistories, dayNumber, purchasesBetween, summarize } from "../../functions/domain/clv/order-history.js";
import { rfmGroup } from "../../functions/domain/clv/rfm.js";
import { calibrationHoldoutPoints, chosenCalibrationFit } from "../../functions/domain/report/calibration-holdout.js";
import { cumulativeRepeatPurchases } from "../../functions/domain/report/cumulative-purchases.js";
import { frequencyRecencyMatrix } from "../../functions/domain/report/frequency-recency-matrix.js";
import { churnRiskHistogram, histogram, niceStep, predictedClvHistogram } from "../../functions/domain/report/histograms.js";
import { rfmGrid } from "../../functions/domain/report/rfm-grid.js";
import { funnelSteps } from "../../functions/domain/report/workflow-funnel.js";
import { workflowLift } from "../../functions/domain/workflows/workflow-lift.js";
import { cdnowPublishedSummary, cdnowSampleOrders } from "../support/cdnow.js";

/**
 * The CDNOW sample (2,357 customers, Fader, Hardie & Lee 2005) as of 1998-06-30, in weeks, with the
 * papers' split: calibration to 1997-09-30 (39 weeks), holdout the 273 days after.
 */
const asOf = Date.parse("1998-06-30T00:00:00Z");
const histories = contactHistories(cdnowSampleOrders(), asOf);
const run = runModels(histories, asOf, { ...defaultModelRunOptions, unit: "weeks", holdoutDays: 273 });
const calibrationEndDay = dayNumber(Date.parse("1997-09-30T00:00:00Z"));
const asOfDay = dayNumber(asOf);

describe("chart data of the store's report, on the CDNOW sample", () => {
  it("the run the charts read has a holdout split at 1997-09-30 and a chosen model", () => {
    // Act and assess
    expect(run.holdout).toMatchObject({ calibrationEnd: "1997-09-30", holdoutEnd: "1998-06-30", holdoutDays: 273 });
    expect(run.purchaseModel, run.reasons.join("; ")).toBeDefined();
    expect(chosenCalibrationFit(run)?.model).toBe(run.purchaseModel!.model);
  });

  describe("calibration vs holdout purchases", () => {
    const chart = calibrationHoldoutPoints(histories, run)!;

    it("groups 0..7 calibration purchases, as lifetimes does by default, and counts the rest as beyond", () => {
      // Act and assess
      expect(chart.points.map((p) => p.calibrationPurchases)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(chart.points.reduce((n, p) => n + p.contacts, 0) + chart.beyond).toBe(histories.length);
      expect(chart.models[0]).toBe(run.purchaseModel!.model);
    });

    it("each point's actual mean is a direct count of holdout purchases", () => {
      // Act and assess
      for (const point of chart.points) {
        const group = histories.filter((h) => summarize(h, calibrationEndDay, "weeks")?.frequency === point.calibrationPurchases);
        const purchases = group.reduce((n, h) => n + purchasesBetween(h, calibrationEndDay, asOfDay), 0);
        expect(point.contacts).toBe(group.length);
        expect(point.actual).toBeCloseTo(purchases / group.length, 12);
      }
    });

    it("each point's expectation is the mean of the calibration fit's conditional expectation over the holdout (39 weeks)", () => {
      // Prepare
      const fit = chosenCalibrationFit(run)!;
      const point = chart.points[2]!;
      const group = histories.map((h) => summarize(h, calibrationEndDay, "weeks")!).filter((s) => s.frequency === 2);
      const mean = group.reduce((sum, s) => sum + purchaseModels[fit.model].expectedPurchases(fit.params, s, 39), 0) / group.length;
      // Act and assess
      expect(point.expected[fit.model]).toBeCloseTo(mean, 10);
    });

    it("with every group shown, the totals are the run's own holdout totals for each candidate", () => {
      // Act
      const all = calibrationHoldoutPoints(histories, run, 1000)!;
      // Assess
      expect(all.beyond).toBe(0);
      for (const candidate of run.holdout!.candidates) {
        const expected = all.points.reduce((sum, p) => sum + p.contacts * p.expected[candidate.model]!, 0);
        const actual = all.points.reduce((sum, p) => sum + p.contacts * p.actual, 0);
        expect(expected).toBeCloseTo(candidate.predictedPurchases!, 6);
        expect(actual).toBeCloseTo(candidate.actualPurchases!, 9);
      }
    });
  });

  describe("cumulative repeat purchases", () => {
    const chart = cumulativeRepeatPurchases(histories, run)!;
    const on = (date: string) => chart.days.find((d) => d.date === date)!;

    it("runs day by day from the first order (1997-01-01) to the as-of date", () => {
      // Act and assess
      expect(chart.days[0]).toEqual({ date: "1997-01-01", actual: 0, expected: 0 });
      expect(chart.days.at(-1)!.date).toBe("1998-06-30");
      expect(chart.days).toHaveLength(546);
      expect(chart.calibrationEnd).toBe("1997-09-30");
    });

    it("the actual count at the calibration end is Σ frequency of the published calibration summary", () => {
      // Prepare
      // cdnow_customers_summary.csv: lifetimes' summary of the sample to 1997-09-30 (test/fixtures/README.md).
      const published = [...cdnowPublishedSummary().values()].reduce((n, s) => n + s.frequency, 0);
      // Act and assess
      expect(on("1997-09-30").actual).toBe(published);
      expect(chart.days.at(-1)!.actual).toBe(histories.reduce((n, h) => n + h.purchaseDays.length - 1, 0));
    });

    it("the expected count at the end of the holdout is the sum of the model's E[X(t)] over every customer", () => {
      // Prepare
      const fit = chosenCalibrationFit(run)!;
      const model = purchaseModels[fit.model];
      const direct = histories.reduce((sum, h) => sum + model.expectedPurchasesUnconditional(fit.params, (asOfDay - h.purchaseDays[0]!) / 7), 0);
      // Act and assess
      expect(chart.days.at(-1)!.expected).toBeCloseTo(direct, 6);
    });

    it("tracks the actual count within 5 % at the calibration end and at the end of the holdout", () => {
      // Act and assess
      for (const date of ["1997-09-30", "1998-06-30"]) expect(Math.abs(on(date).expected / on(date).actual - 1), date).toBeLessThan(0.05);
    });

    it("never decreases", () => {
      // Act and assess
      for (let i = 1; i < chart.days.length; i++) {
        expect(chart.days[i]!.actual).toBeGreaterThanOrEqual(chart.days[i - 1]!.actual);
        expect(chart.days[i]!.expected).toBeGreaterThanOrEqual(chart.days[i - 1]!.expected - 1e-9);
      }
    });
  });

  describe("frequency/recency matrix", () => {
    const matrix = frequencyRecencyMatrix(run, histories)!;
    const fit = run.purchaseModel!;

    it("assumes the oldest customer's age and samples recency from 0 to it", () => {
      // Prepare
      const oldest = Math.max(...histories.map((h) => asOfDay - h.purchaseDays[0]!)) / 7;
      // Act and assess
      expect(matrix.T).toBeCloseTo(oldest, 12);
      expect(matrix.recencies[0]).toBe(0);
      expect(matrix.recencies.at(-1)).toBeCloseTo(oldest, 12);
      expect(matrix.cells).toHaveLength(matrix.recencies.length * matrix.frequencies.length);
      expect(matrix.frequencies[0]).toBe(0);
    });

    it("each cell is the refitted model's prediction for (frequency, recency, T)", () => {
      // Act
      const model = purchaseModels[fit.model];
      // Assess
      for (const cell of [matrix.cells[0]!, matrix.cells[matrix.cells.length - 1]!, matrix.cells[Math.floor(matrix.cells.length / 2)]!]) {
        const s = { frequency: cell.frequency, recency: cell.recency, T: matrix.T };
        expect(cell.expectedPurchases).toBeCloseTo(model.expectedPurchases(fit.params, s, 30 / 7), 10);
        expect(cell.probabilityAlive).toBeCloseTo(model.probabilityAlive(fit.params, s), 10);
      }
    });

    it("a more recent last purchase means more expected purchases and a likelier customer, at any frequency > 0", () => {
      // Prepare
      const columns = matrix.frequencies.length;
      // Act and assess
      for (let f = 1; f < columns; f++) {
        for (let r = 1; r < matrix.recencies.length; r++) {
          const before = matrix.cells[(r - 1) * columns + f]!;
          const after = matrix.cells[r * columns + f]!;
          expect(after.expectedPurchases).toBeGreaterThanOrEqual(before.expectedPurchases - 1e-12);
          expect(after.probabilityAlive).toBeGreaterThanOrEqual(before.probabilityAlive - 1e-12);
        }
      }
    });

    it("stops the frequency axis at the 99th percentile and says how many contacts lie beyond", () => {
      // Prepare
      const frequencies = histories.map((h) => h.purchaseDays.length - 1);
      const last = matrix.frequencies.at(-1)!;
      // Act and assess
      expect(matrix.beyond).toBe(frequencies.filter((f) => f > last).length);
      expect(matrix.beyond / histories.length).toBeLessThanOrEqual(0.01);
    });
  });

  describe("distributions and the RFM grid", () => {
    const scores = scoreContacts(histories, asOf, run);

    it("the predicted CLV histogram counts every contact once, the top 1 % in the open tail", () => {
      // Prepare
      const h = predictedClvHistogram(scores);
      // Act
      const inBins = h.bins.reduce((n, b) => n + b.count, 0);
      // Assess
      expect(inBins + h.above).toBe(scores.length);
      expect(h.missing).toBe(0);
      expect(h.above / scores.length).toBeLessThanOrEqual(0.01);
      const width = h.bins[0]!.x1 - h.bins[0]!.x0;
      expect(niceStep(width)).toBeCloseTo(width, 12);
    });

    it("the churn risk histogram has 20 bins over [0, 1] and nothing outside", () => {
      // Act
      const h = churnRiskHistogram(scores);
      // Assess
      expect(h.bins).toHaveLength(20);
      expect(h.above).toBe(0);
      expect(h.bins.reduce((n, b) => n + b.count, 0)).toBe(scores.length);
      const direct = scores.filter((s) => s.churnRisk! >= 0.5 && s.churnRisk! < 0.55).length;
      expect(h.bins[10]!.count).toBe(direct);
    });

    it("histogram keeps values on an edge in the bin that starts there, and counts missing ones apart", () => {
      // Act
      const h = histogram([0, 0.15, 0.999, 1, null, Number.NaN], { start: 0, width: 0.05, bins: 20, closed: true });
      // Assess
      expect(h.bins[0]!.count).toBe(1);
      expect(h.bins[3]!.count).toBe(1);
      expect(h.bins[19]!.count).toBe(2);
      expect(h.missing).toBe(2);
    });

    it("the RFM grid counts each contact in its cell, and each cell carries its group's name", () => {
      // Act
      const grid = rfmGrid(scores);
      // Assess
      expect(grid.cells).toHaveLength(25);
      expect(grid.cells.reduce((n, c) => n + c.contacts, 0)).toBe(scores.length);
      for (const cell of grid.cells) {
        const members = scores.filter((s) => s.rfmRecency === cell.recency && Math.round((s.rfmFrequency + s.rfmMonetary) / 2) === cell.frequencyMonetary);
        expect(cell.contacts).toBe(members.length);
        for (const s of members) expect(s.rfmGroup).toBe(cell.group);
      }
      expect(grid.cells[0]).toMatchObject({ recency: 5, frequencyMonetary: 1, group: rfmGroup(5, 1, 1) });
      for (const { group, contacts } of grid.groups) expect(contacts).toBe(scores.filter((s) => s.rfmGroup === group).length);
    });
  });

  it("without a holdout or a chosen model, the model charts have no data", () => {
    // Prepare
    const small = histories.slice(0, 100);
    // Act
    const ineligible = runModels(small, asOf, { ...defaultModelRunOptions, unit: "weeks" });
    // Assess
    expect(ineligible.purchaseModel).toBeUndefined();
    expect(calibrationHoldoutPoints(small, ineligible)).toBeUndefined();
    expect(cumulativeRepeatPurchases(small, ineligible)).toBeUndefined();
    expect(frequencyRecencyMatrix(ineligible, small)).toBeUndefined();
  });

  it("orders after the run's as-of date are left out of the charts", () => {
    // Prepare
    const late = Date.parse("1998-08-01T00:00:00Z");
    const orders = [...cdnowSampleOrders(), { orderId: "late", contactId: "1", createdAt: late, total: 10 }, { orderId: "new", contactId: "new-contact", createdAt: late, total: 5 }];
    // Act
    const later = contactHistories(orders, Date.parse("1999-01-01T00:00:00Z"));
    // Assess
    expect(later).toHaveLength(histories.length + 1);
    expect(cumulativeRepeatPurchases(later, run)).toEqual(cumulativeRepeatPurchases(histories, run));
    expect(calibrationHoldoutPoints(later, run)).toEqual(calibrationHoldoutPoints(histories, run));
    expect(frequencyRecencyMatrix(run, later)).toEqual(frequencyRecencyMatrix(run, histories));
  });
});

describe("workflow funnel", () => {
  it("lists the workflow's steps in order with their share of the enrolled", () => {
    // Act
    const steps = funnelSteps({ workflowId: "w", name: "Win-back", window: "7 days", enrolled: 200, heldOut: 20, couponsAssigned: 171, outOfStock: 9, emailsSent: 162, purchasedInWindow: 30, revenueInWindow: 1500, reminded: 126, lift: workflowLift([]) });
    // Assess
    expect(steps.map((s) => [s.step, s.label, s.contacts, s.shareOfEnrolled])).toEqual([
      ["enrolled", "Enrolled", 200, 1],
      ["heldOut", "Held out (control)", 20, 0.1],
      ["couponsAssigned", "Coupon assigned", 171, 0.855],
      ["emailsSent", "E-mail sent", 162, 0.81],
      ["purchasedInWindow", "Purchased within 7 days", 30, 0.15],
      ["reminded", "Reminded", 126, 0.63],
    ]);
    expect(funnelSteps({ workflowId: "w", name: "Empty", window: "36 hours", enrolled: 0, heldOut: 0, couponsAssigned: 0, outOfStock: 0, emailsSent: 0, purchasedInWindow: 0, revenueInWindow: 0, reminded: 0, lift: workflowLift([]) })[0]!.shareOfEnrolled).toBeNull();
  });
});

