import { expectedOrderValue } from "./gamma-gamma.js";
import { purchaseModels, type ModelRun } from "./model-run.js";
import { dayNumber, DAYS_PER_UNIT, MS_PER_DAY, summarize, type ContactHistory } from "./order-history.js";
import { rfmScores, type RfmGroup, type RfmScore } from "./rfm.js";

/** Every figure of a contact (DESIGN.md, "The contact's figures"). Dates are ISO strings. */
export interface ContactScores {
  contactId: string;
  orderCount: number;
  firstOrderAt: string;
  lastOrderAt: string;
  historicClv: number;
  averageOrderValue: number;
  averageDaysBetweenOrders: number | null;
  predictedOrders12m: number | null;
  predictedClv12m: number | null;
  totalClv: number | null;
  pAlive: number | null;
  churnRisk: number | null;
  churnBand: ChurnBand | null;
  expectedNextOrderAt: string | null;
  rfmRecency: RfmScore;
  rfmFrequency: RfmScore;
  rfmMonetary: RfmScore;
  rfmGroup: RfmGroup;
}

export type ChurnBand = "low" | "medium" | "high";

/** low < 0.33 ≤ medium ≤ 0.66 < high (DESIGN.md). */
export function churnBand(churnRisk: number): ChurnBand {
  return churnRisk < 0.33 ? "low" : churnRisk <= 0.66 ? "medium" : "high";
}

export interface ScoringOptions {
  /** Days ahead for predicted orders and CLV. */
  predictionDays: number;
  /** Days ahead for churn risk: P(no order in the next churnHorizonDays). */
  churnHorizonDays: number;
  /** Annual rate at which next year's revenue is discounted; 0 for none. */
  annualDiscountRate: number;
}

export const defaultScoringOptions: ScoringOptions = { predictionDays: 365, churnHorizonDays: 90, annualDiscountRate: 0 };

interface Prediction {
  predictedOrders: number;
  /** Σ over months of the expected orders that month discounted to today, ÷ undiscounted: 1 without discount. */
  discountFactor: number;
  pAlive: number;
  churnRisk: number;
  /** Days from the last order to the median next order; null without repeat purchases. */
  medianDaysToNextOrder: number | null;
}

/**
 * Scores every contact as of `asOf` with the run's models. Contacts who share a summary share one
 * model evaluation (at daily resolution most do), which is what makes a million contacts cheap.
 */
export function scoreContacts(histories: readonly ContactHistory[], asOf: number, run: ModelRun, options: ScoringOptions = defaultScoringOptions): ContactScores[] {
  const asOfDay = dayNumber(asOf);
  const unitDays = DAYS_PER_UNIT[run.unit];
  const fit = run.purchaseModel;
  const model = fit ? purchaseModels[fit.model] : undefined;
  const cache = new Map<string, Prediction>();
  const storeAverageOrderValue = averageOf(histories.map((h) => h.revenue / h.orderCount));

  const predict = (h: ContactHistory): { prediction: Prediction; orderValue: number } | undefined => {
    if (!fit || !model) return undefined;
    const s = summarize(h, asOfDay, run.unit)!;
    const key = `${s.frequency}|${s.recency}|${s.T}`;
    let prediction = cache.get(key);
    if (!prediction) {
      const params = fit.params;
      const t = options.predictionDays / unitDays;
      const predictedOrders = model.expectedPurchases(params, s, t);
      prediction = {
        predictedOrders,
        discountFactor: options.annualDiscountRate > 0 ? discountFactor((u) => model.expectedPurchases(params, s, u), t, options.annualDiscountRate, options.predictionDays) : 1,
        pAlive: model.probabilityAlive(params, s),
        churnRisk: model.probabilityNoPurchase(params, s, options.churnHorizonDays / unitDays),
        // Posterior purchase rate at the last purchase is Gamma(r + x, α + tₓ): the wait to the next
        // purchase is Lomax, whose median is (α + tₓ)(2^(1/(r+x)) − 1).
        medianDaysToNextOrder:
          s.frequency > 0 ? (params.alpha! + s.recency) * (Math.pow(2, 1 / (params.r! + s.frequency)) - 1) * unitDays : null,
      };
      cache.set(key, prediction);
    }
    const orderValue = run.spendModel
      ? expectedOrderValue(run.spendModel.params, s.frequency, s.monetaryValue ?? 0)
      : h.orderCount > 0 && h.revenue > 0
        ? h.revenue / h.orderCount
        : storeAverageOrderValue;
    return { prediction, orderValue };
  };

  const rfm = rfmScores(
    histories.map((h) => ({
      daysSinceLastOrder: asOfDay - dayNumber(h.lastOrderAt),
      orderCount: h.orderCount,
      averageOrderValue: h.revenue / h.orderCount,
    })),
  );

  return histories.map((h, i) => {
    const predicted = predict(h);
    const p = predicted?.prediction;
    const predictedClv12m = p ? p.predictedOrders * predicted.orderValue * p.discountFactor : null;
    return {
      contactId: h.contactId,
      orderCount: h.orderCount,
      firstOrderAt: new Date(h.firstOrderAt).toISOString(),
      lastOrderAt: new Date(h.lastOrderAt).toISOString(),
      historicClv: h.revenue,
      averageOrderValue: h.revenue / h.orderCount,
      averageDaysBetweenOrders: h.orderCount > 1 ? (h.lastOrderAt - h.firstOrderAt) / MS_PER_DAY / (h.orderCount - 1) : null,
      predictedOrders12m: p ? p.predictedOrders : null,
      predictedClv12m,
      totalClv: predictedClv12m === null ? null : h.revenue + predictedClv12m,
      pAlive: p ? p.pAlive : null,
      churnRisk: p ? p.churnRisk : null,
      churnBand: p ? churnBand(p.churnRisk) : null,
      expectedNextOrderAt:
        p && p.medianDaysToNextOrder !== null ? new Date(h.lastOrderAt + p.medianDaysToNextOrder * MS_PER_DAY).toISOString() : null,
      ...rfm[i]!,
    };
  });
}

/**
 * Discounted share of the horizon's expected orders: orders expected in each month, valued at
 * (1 + annual rate)^(−month end in years), summed and divided by the undiscounted total.
 */
function discountFactor(expectedUpTo: (t: number) => number, t: number, annualRate: number, predictionDays: number): number {
  const months = 12;
  let discounted = 0;
  let previous = 0;
  for (let m = 1; m <= months; m++) {
    const cumulative = expectedUpTo((t * m) / months);
    discounted += (cumulative - previous) / Math.pow(1 + annualRate, (predictionDays * m) / months / 365);
    previous = cumulative;
  }
  return previous > 0 ? discounted / previous : 1;
}

function averageOf(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length > 0 ? sum / values.length : 0;
}
