import { purchaseModels, type ModelRun } from "../clv/model-run.js";
import { calibrationHoldout, dayNumber, DAYS_PER_UNIT, parseDate, type ContactHistory } from "../clv/order-history.js";
import type { ModelParams, PurchaseModelName } from "../clv/purchase-model.js";

/** A purchase model as fitted on the calibration window of a run's holdout comparison. */
export interface CalibrationFit {
  model: PurchaseModelName;
  params: ModelParams;
}

/** Calibration-window fits of the run's candidates, the chosen model first; empty without a holdout. */
export function calibrationFits(run: ModelRun): CalibrationFit[] {
  const fits = (run.holdout?.candidates ?? []).flatMap((c) => (c.fit ? [{ model: c.model, params: c.fit.params }] : []));
  const chosen = run.purchaseModel?.model;
  return [...fits.filter((f) => f.model === chosen), ...fits.filter((f) => f.model !== chosen)];
}

/** The chosen model's calibration-window fit: what a tracking chart compares with the holdout. */
export function chosenCalibrationFit(run: ModelRun): CalibrationFit | undefined {
  const fit = calibrationFits(run)[0];
  return fit && fit.model === run.purchaseModel?.model ? fit : undefined;
}

export interface CalibrationHoldoutPoint {
  /** Repeat purchases (purchase days after the first) in the calibration window. */
  calibrationPurchases: number;
  contacts: number;
  /** Mean purchases in the holdout window of these contacts. */
  actual: number;
  /** Mean of each model's E[X(T, T + holdout) | calibration history] over these contacts. */
  expected: Partial<Record<PurchaseModelName, number>>;
}

export interface CalibrationHoldoutChart {
  /** The chosen model; the others are the run's other candidates. */
  chosen: PurchaseModelName;
  models: PurchaseModelName[];
  calibrationEnd: string;
  holdoutEnd: string;
  holdoutDays: number;
  /** One point per calibration purchase count 0..maxPurchases that some contact has. */
  points: CalibrationHoldoutPoint[];
  /** Contacts with more calibration purchases than the chart shows (left out, as lifetimes does). */
  beyond: number;
}

/**
 * Actual versus expected holdout purchases by calibration purchases, as lifetimes'
 * plot_calibration_purchases_vs_holdout_purchases draws it (kind="frequency_cal", n=7): the contacts
 * who had ordered by the calibration end, grouped by their calibration frequency; per group the mean
 * purchases in the holdout and the mean of each model's conditional expectation over the holdout
 * (the conditional-expectations plot of Fader, Hardie & Lee 2005, "Counting your customers the easy
 * way"; their eq. 10 for BG/NBD).
 * The models are those fitted on the calibration window of the run's holdout comparison, so this is
 * the same forecast the run scored; undefined when the run has no holdout or no chosen model.
 */
export function calibrationHoldoutPoints(histories: readonly ContactHistory[], run: ModelRun, maxPurchases = 7): CalibrationHoldoutChart | undefined {
  const fits = calibrationFits(run);
  const holdout = run.holdout;
  const chosen = chosenCalibrationFit(run);
  if (!holdout || !chosen) return undefined;
  const calibrationEndDay = dayNumber(parseDate(holdout.calibrationEnd));
  const holdoutEndDay = dayNumber(parseDate(holdout.holdoutEnd));
  const horizon = holdout.holdoutDays / DAYS_PER_UNIT[run.unit];
  const sums = Array.from({ length: maxPurchases + 1 }, () => ({ contacts: 0, actual: 0, expected: new Float64Array(fits.length) }));
  // Contacts with the same calibration summary share one forecast (at daily resolution many do).
  const cache = new Map<string, Float64Array>();
  let beyond = 0;
  for (const { calibration: s, holdoutPurchases } of calibrationHoldout(histories, calibrationEndDay, holdoutEndDay, run.unit)) {
    const sum = sums[s.frequency];
    if (!sum) {
      beyond++;
      continue;
    }
    const key = `${s.frequency}|${s.recency}|${s.T}`;
    let expected = cache.get(key);
    if (!expected) {
      expected = Float64Array.from(fits, (f) => purchaseModels[f.model].expectedPurchases(f.params, s, horizon));
      cache.set(key, expected);
    }
    sum.contacts++;
    sum.actual += holdoutPurchases;
    for (let m = 0; m < fits.length; m++) sum.expected[m]! += expected[m]!;
  }
  const points = sums.flatMap((sum, calibrationPurchases): CalibrationHoldoutPoint[] =>
    sum.contacts === 0
      ? []
      : [
          {
            calibrationPurchases,
            contacts: sum.contacts,
            actual: sum.actual / sum.contacts,
            expected: Object.fromEntries(fits.map((f, m) => [f.model, sum.expected[m]! / sum.contacts])),
          },
        ],
  );
  return {
    chosen: chosen.model,
    models: fits.map((f) => f.model),
    calibrationEnd: holdout.calibrationEnd,
    holdoutEnd: holdout.holdoutEnd,
    holdoutDays: holdout.holdoutDays,
    points,
    beyond,
  };
}
