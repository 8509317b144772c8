import { purchaseModels, type ModelRun } from "../clv/model-run.js";
import { dayNumber, DAYS_PER_UNIT, MS_PER_DAY, parseDate, type ContactHistory } from "../clv/order-history.js";
import type { PurchaseModelName } from "../clv/purchase-model.js";
import { chosenCalibrationFit } from "./calibration-holdout.js";

export interface CumulativePurchasesDay {
  /** YYYY-MM-DD (UTC). */
  date: string;
  /** Repeat purchases made up to the end of this day. */
  actual: number;
  /** Σ over contacts who had first ordered by this day of E[X(days since their first order)]. */
  expected: number;
}

export interface CumulativeRepeatPurchases {
  model: PurchaseModelName;
  calibrationEnd: string;
  /** One entry per day from the first order of the store to the run's as-of date. */
  days: CumulativePurchasesDay[];
}

const isoDay = (day: number) => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);

/**
 * Cumulative repeat purchases, actual against expected, day by day over the whole history: the
 * cumulative tracking plot of Fader, Hardie & Lee (2005), "Counting your customers the easy way", as
 * lifetimes' plot_cumulative_transactions draws it (utils.expected_cumulative_transactions, freq "D").
 * Expected purchases by day d are Σ over first-purchase days b ≤ d of (contacts first buying on b) ×
 * E[X(d − b)], the model's unconditional expectation for a new customer (BG/NBD eq. 9), with the
 * chosen model fitted on the calibration window, so the part after the calibration end is a forecast.
 * A repeat purchase is a purchase day after the contact's first, as the models count them. Undefined
 * when the run has no holdout comparison or no chosen model.
 */
export function cumulativeRepeatPurchases(histories: readonly ContactHistory[], run: ModelRun): CumulativeRepeatPurchases | undefined {
  const fit = chosenCalibrationFit(run);
  if (!fit || !run.holdout) return undefined;
  const lastDay = dayNumber(parseDate(run.asOf));
  let firstDay = Number.POSITIVE_INFINITY;
  for (const h of histories) if (h.purchaseDays[0]! <= lastDay) firstDay = Math.min(firstDay, h.purchaseDays[0]!);
  if (!Number.isFinite(firstDay)) return undefined;
  const span = lastDay - firstDay + 1;
  const cohorts = new Float64Array(span);
  const repeats = new Float64Array(span);
  for (const h of histories) {
    const first = h.purchaseDays[0]!;
    if (first > lastDay) continue;
    cohorts[first - firstDay]!++;
    for (let i = 1; i < h.purchaseDays.length && h.purchaseDays[i]! <= lastDay; i++) repeats[h.purchaseDays[i]! - firstDay]!++;
  }
  // E[X(t)] depends on the contact only through the time since its first purchase, so one value per lag.
  const model = purchaseModels[fit.model];
  const unitDays = DAYS_PER_UNIT[run.unit];
  const byLag = Float64Array.from({ length: span }, (_, lag) => (lag === 0 ? 0 : model.expectedPurchasesUnconditional(fit.params, lag / unitDays)));
  const cohortDays: number[] = [];
  for (let b = 0; b < span; b++) if (cohorts[b]! > 0) cohortDays.push(b);
  const days: CumulativePurchasesDay[] = [];
  let actual = 0;
  for (let d = 0; d < span; d++) {
    actual += repeats[d]!;
    let expected = 0;
    for (const b of cohortDays) {
      if (b > d) break;
      expected += cohorts[b]! * byLag[d - b]!;
    }
    days.push({ date: isoDay(firstDay + d), actual, expected });
  }
  return { model: fit.model, calibrationEnd: run.holdout.calibrationEnd, days };
}
