import { bgNbd, mbgNbd } from "./bg-nbd.js";
import { contactCount, purchaseTable, summaryTable, type CustomerSummary, type SummaryTable } from "./customer-summary.js";
import { checkEligibility, defaultEligibilityRules, type Eligibility, type EligibilityRules } from "./eligibility.js";
import { fitModel, fitPurchaseModel } from "./fit.js";
import { gammaGamma, spendTable, type GammaGammaParams } from "./gamma-gamma.js";
import { calibrationHoldout, dayNumber, DAYS_PER_UNIT, MS_PER_DAY, summarize, type ContactHistory, type TimeUnit } from "./order-history.js";
import { calendarFactor, estimateCalendarEffect, modelMonthlyRepeats, monthlyPurchasesOf, type CalendarEffect } from "./calendar-effect.js";
import { improvesBeyondNoise, selectModel, type CandidateErrors, type ModelSelection } from "./model-selection.js";
import { mbgCnbdK } from "./mbg-cnbd-k.js";
import { paretoNbd } from "./pareto-nbd.js";
import { ModelFitError, purchaseModelNames, type ModelFit, type PurchaseModel, type PurchaseModelName } from "./purchase-model.js";

export const purchaseModels: Record<PurchaseModelName, PurchaseModel> = {
  "bg-nbd": bgNbd as unknown as PurchaseModel,
  "mbg-nbd": mbgNbd as unknown as PurchaseModel,
  "pareto-nbd": paretoNbd as unknown as PurchaseModel,
  "mbg-cnbd-k": mbgCnbdK as unknown as PurchaseModel,
};

export interface ModelRunOptions {
  /** Time unit the models are fitted in. Predictions are the same in any unit; days is the default. */
  unit: TimeUnit;
  /** Days at the end of the history held out to compare models; by default a third of the history, 30 to 365 days. */
  holdoutDays?: number;
  models: readonly PurchaseModelName[];
  rules: EligibilityRules;
}

export const defaultModelRunOptions: ModelRunOptions = {
  unit: "days",
  models: purchaseModelNames,
  rules: defaultEligibilityRules,
};

/** How one purchase model did on the holdout period. */
export interface HoldoutEvaluation {
  model: PurchaseModelName;
  fit?: ModelFit;
  /** Why the model could not be evaluated, when it could not. */
  error?: string;
  /** Mean over contacts of |predicted − actual| repeat purchases in the holdout. */
  meanAbsoluteError?: number;
  /** Mean over contacts of (predicted − actual)² repeat purchases in the holdout: what the selection ranks by. */
  meanSquaredError?: number;
  predictedPurchases?: number;
  actualPurchases?: number;
  /** (predicted − actual) / actual, on the total. */
  totalError?: number;
  /** Mean log loss of P(no purchase in the holdout) against who really bought nothing: how well churn risk scored. */
  churnLogLoss?: number;
}

export interface ModelRun {
  asOf: string;
  unit: TimeUnit;
  contacts: number;
  eligibility: Eligibility;
  /** The holdout comparison, when the store is eligible. */
  holdout?: {
    calibrationEnd: string;
    holdoutEnd: string;
    holdoutDays: number;
    contacts: number;
    candidates: HoldoutEvaluation[];
    /** Which candidate was chosen and why (model-selection.ts). */
    selection?: ModelSelection;
  };
  /** The chosen model refitted on all data; absent when there are no predictions. */
  purchaseModel?: ModelFit & { model: PurchaseModelName };
  spendModel?: ModelFit<GammaGammaParams>;
  /** Why the spend model is missing (predicted CLV then uses each contact's average order value). */
  spendModelError?: string;
  /** The calendar-time adjustment of the forecast (calendar-effect.ts): whether it is used, and why. */
  calendar?: CalendarAdjustment;
  /** Why there are no predictions, in the store's words; empty when there are. */
  reasons: string[];
}

/** The run's calendar adjustment: estimated, tried on the holdout, used only when it wins there. */
export interface CalendarAdjustment {
  applied: boolean;
  /** In words: why it is used or not (less than a year of history, or how it did on the holdout). */
  reason: string;
  /** The effect estimated on all the history to the as-of date, when applied: scoring scales each forecast by it. */
  effect?: CalendarEffect;
  /** The days the purchase model was fitted on (first purchase month to the as-of date). */
  fittedFromDay?: number;
  fittedToDay?: number;
  /** The chosen model's holdout mean squared error per contact without and with the adjustment (what the selection ranks by). */
  holdoutError?: { without: number; with: number; factor: number };
}

/**
 * Estimates the calendar effect on the history before the calibration end only (the holdout is never
 * seen), scales the chosen model's holdout forecasts by it, and keeps it if it lowers the mean squared
 * error beyond the noise (model-selection.ts' paired test). When kept, it is estimated again on all
 * the history, for the forecasts made from the as-of date.
 */
function calendarAdjustment(
  tables: ModelRunTables,
  asOfDay: number,
  unitDays: number,
  model: PurchaseModel,
  fits: { calibration: ModelFit | undefined; allData: ModelFit },
  predicted: Float64Array | undefined,
): CalendarAdjustment {
  const monthly = tables.monthlyPurchases;
  if (!monthly || monthly.size === 0 || !predicted || !fits.calibration) return { applied: false, reason: "no purchases per month to estimate a calendar effect on" };
  const { calibration, calibrationEndDay } = tables;
  const firstMonth = [...monthly.keys()].sort()[0]!;
  const fittedFromDay = dayNumber(Date.parse(`${firstMonth}-01T00:00:00Z`));
  // Measured against what the model expects month by month of the contacts acquired so far (calendar-effect.ts).
  const expectedOf = (params: ModelFit["params"], table: SummaryTable, lastDay: number) => modelMonthlyRepeats((t) => model.expectedPurchasesUnconditional(params, t), table, unitDays, lastDay);
  // Without a year of months no effect is estimated: that is known before the model's months are computed.
  const tooShort = estimateCalendarEffect(monthly, calibrationEndDay);
  if (!tooShort.estimated) return { applied: false, reason: tooShort.reason };
  const beforeHoldout = estimateCalendarEffect(monthly, calibrationEndDay, expectedOf(fits.calibration.params, calibration, calibrationEndDay));
  if (!beforeHoldout.estimated) return { applied: false, reason: beforeHoldout.reason };
  const factor = calendarFactor(beforeHoldout, fittedFromDay, calibrationEndDay, calibrationEndDay, asOfDay);
  const plain = new Float64Array(calibration.length);
  const scaled = new Float64Array(calibration.length);
  for (let i = 0; i < calibration.length; i++) {
    plain[i] = (predicted[i]! - calibration.holdoutPurchases[i]!) ** 2;
    scaled[i] = (factor * predicted[i]! - calibration.holdoutPurchases[i]!) ** 2;
  }
  const mean = (v: Float64Array) => v.reduce((a, x, i) => a + x * calibration.weight[i]!, 0) / contactCount(calibration);
  const holdoutError = { without: mean(plain), with: mean(scaled), factor };
  if (!improvesBeyondNoise(plain, scaled, calibration.weight)) {
    return { applied: false, reason: `${beforeHoldout.reason}; not used: on the holdout it moved the mean squared error from ${holdoutError.without.toFixed(4)} to ${holdoutError.with.toFixed(4)} (factor ${factor.toFixed(3)}), no better beyond the noise`, holdoutError };
  }
  const effect = estimateCalendarEffect(monthly, asOfDay + 1, expectedOf(fits.allData.params, tables.allData, asOfDay));
  return { applied: true, reason: `${effect.reason}; used: on the holdout it lowered the mean squared error from ${holdoutError.without.toFixed(4)} to ${holdoutError.with.toFixed(4)}`, effect, fittedFromDay, fittedToDay: asOfDay + 1, holdoutError };
}

const isoDay = (day: number) => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);

/** Holdout length by default: a third of the history, at least 30 and at most 365 days. */
export function defaultHoldoutDays(historyDays: number): number {
  return Math.min(365, Math.max(30, Math.round(historyDays / 3)));
}

/**
 * What a model run fits on, as weighted distinct rows: built here from every history, or folded
 * scan segment by scan segment (history-fold.ts) so a night never holds every contact.
 */
export interface ModelRunTables {
  /** The end of the calibration window (day number); the holdout runs from there to the as-of day. */
  calibrationEndDay: number;
  /** Calibration summaries of the contacts who had ordered by then, each row with its holdout purchases. */
  calibration: CalibrationTable;
  /** Every contact's summary as of the run: what the chosen model is refitted on. */
  allData: SummaryTable;
  /** Repeat buyers' frequency and mean repeat value: what Gamma-Gamma is fitted on. */
  spend: SummaryTable;
  /** Purchase days per calendar month ("YYYY-MM"): what the calendar effect is estimated on. */
  monthlyPurchases?: ReadonlyMap<string, number>;
}

export type CalibrationTable = SummaryTable & { readonly holdoutPurchases: Float64Array };

/** Calibration summaries with their holdout purchases, identical pairs counted once with a weight. */
export function calibrationTable(summaries: readonly CustomerSummary[], holdoutPurchases: ArrayLike<number>, weights?: Iterable<number>): CalibrationTable {
  // The monetary column of the fold carries the holdout purchases: purchase models do not read it.
  const table = summaryTable(
    summaries.map((s, i) => ({ frequency: s.frequency, recency: s.recency, T: s.T, monetaryValue: holdoutPurchases[i]!, ...(s.logInterPurchaseTimes !== undefined && { logInterPurchaseTimes: s.logInterPurchaseTimes }) })),
    weights,
  );
  return { ...table, holdoutPurchases: table.monetaryValue, monetaryValue: new Float64Array(table.length) };
}

/** The calibration window's end: the holdout is `holdoutDays`, or a third of the history (30 to 365 days). */
export function calibrationEndDayOf(firstPurchaseDay: number, asOfDay: number, options: Pick<ModelRunOptions, "holdoutDays"> = {}): number {
  return asOfDay - (options.holdoutDays ?? defaultHoldoutDays(asOfDay - firstPurchaseDay));
}

/**
 * The nightly model run: eligibility → fit each purchase model on the calibration window → compare
 * them on the holdout (selectModel) → refit the chosen one on all data → fit Gamma-Gamma on all repeat buyers.
 */
export function runModels(histories: readonly ContactHistory[], asOf: number, options: ModelRunOptions = defaultModelRunOptions): ModelRun {
  const asOfDay = dayNumber(asOf);
  const eligibility = checkEligibility(histories, asOf, options.rules);
  if (!eligibility.eligible) return runModelsOnTables(histories.length, eligibility, undefined, asOf, options);
  const firstDay = histories.reduce((first, h) => Math.min(first, h.purchaseDays[0]!), Infinity);
  const calibrationEndDay = calibrationEndDayOf(firstDay, asOfDay, options);
  const split = calibrationHoldout(histories, calibrationEndDay, asOfDay, options.unit);
  const summaries = histories.map((h) => summarize(h, asOfDay, options.unit)!);
  const tables: ModelRunTables = {
    calibrationEndDay,
    calibration: calibrationTable(
      split.map((c) => c.calibration),
      split.map((c) => c.holdoutPurchases),
    ),
    allData: purchaseTable(summaries),
    spend: spendTable(summaries),
    monthlyPurchases: monthlyPurchasesOf(histories.map((h) => h.purchaseDays)),
  };
  return runModelsOnTables(histories.length, eligibility, tables, asOf, options);
}

/** The model run on its tables; `tables` may be absent only when the store is not eligible. */
export function runModelsOnTables(contacts: number, eligibility: Eligibility, tables: ModelRunTables | undefined, asOf: number, options: ModelRunOptions = defaultModelRunOptions): ModelRun {
  const asOfDay = dayNumber(asOf);
  const run: ModelRun = { asOf: isoDay(asOfDay), unit: options.unit, contacts, eligibility, reasons: [...eligibility.reasons] };
  if (!eligibility.eligible) return run;
  if (!tables) throw new Error("an eligible store's model run needs its tables");

  const { calibrationEndDay, calibration } = tables;
  const holdoutDays = asOfDay - calibrationEndDay;
  const horizon = holdoutDays / DAYS_PER_UNIT[options.unit];
  const errors: CandidateErrors[] = [];
  const predictedRows = new Map<PurchaseModelName, Float64Array>();
  // Each candidate's fit, for the later ones that nest it (MBG/CNBD-k's k = 1 is MBG/NBD).
  const fitted = new Map<PurchaseModelName, ModelFit>();
  const candidates: HoldoutEvaluation[] = options.models.map((name) => {
    const model = purchaseModels[name];
    try {
      const fit = fitPurchaseModel(model, calibration, { fitted });
      fitted.set(name, fit);
      const { perRow, ...evaluation } = holdoutError(model, fit.params, calibration, horizon);
      predictedRows.set(name, perRow.predicted);
      errors.push({ model: name, freeParameters: fit.freeParameters, weights: calibration.weight, ...perRow });
      return { model: name, fit, ...evaluation };
    } catch (error) {
      return { model: name, error: error instanceof ModelFitError ? error.reason : String(error) };
    }
  });
  run.holdout = { calibrationEnd: isoDay(calibrationEndDay), holdoutEnd: isoDay(asOfDay), holdoutDays, contacts: contactCount(calibration), candidates };

  const selected = selectModel(errors);
  if (selected) run.holdout.selection = selected.selection;
  for (const name of selected?.ranked ?? []) {
    try {
      run.purchaseModel = { ...fitPurchaseModel(purchaseModels[name], tables.allData), model: name };
      break;
    } catch (error) {
      run.reasons.push(`${name} fitted the calibration window but not all data: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (run.purchaseModel) {
    const chosen = run.purchaseModel.model;
    run.calendar = calendarAdjustment(tables, asOfDay, DAYS_PER_UNIT[options.unit], purchaseModels[chosen], { calibration: fitted.get(chosen), allData: run.purchaseModel }, predictedRows.get(chosen));
  }
  if (!run.purchaseModel) {
    if (!selected) run.reasons.push(`no purchase model could be fitted: ${candidates.map((c) => `${c.model}: ${c.error}`).join("; ")}`);
    return run;
  }
  run.reasons = [];
  try {
    const spend = fitModel(gammaGamma, tables.spend);
    if (spend.params.q <= 1) throw new ModelFitError("gamma-gamma", `q = ${spend.params.q.toFixed(3)} ≤ 1 gives no finite mean order value`);
    run.spendModel = spend;
  } catch (error) {
    run.spendModelError = error instanceof Error ? error.message : String(error);
  }
  return run;
}

/** Per-contact and total error of a model's holdout forecast, over the calibration table's weighted rows. */
function holdoutError(model: PurchaseModel, params: Record<string, number>, table: CalibrationTable, horizon: number) {
  const cache = new Map<string, { purchases: number; none: number }>();
  let absolute = 0;
  let squared = 0;
  let logLoss = 0;
  let predictedPurchases = 0;
  let actualPurchases = 0;
  let contacts = 0;
  const absoluteErrors = new Float64Array(table.length);
  const squaredErrors = new Float64Array(table.length);
  const predictedByRow = new Float64Array(table.length);
  const logLosses = new Float64Array(table.length);
  for (let i = 0; i < table.length; i++) {
    const s = { frequency: table.frequency[i]!, recency: table.recency[i]!, T: table.T[i]! };
    const weight = table.weight[i]!;
    const holdoutPurchases = table.holdoutPurchases[i]!;
    const key = `${s.frequency}|${s.recency}|${s.T}`;
    let predicted = cache.get(key);
    if (predicted === undefined) {
      predicted = { purchases: model.expectedPurchases(params, s, horizon), none: model.probabilityNoPurchase(params, s, horizon) };
      cache.set(key, predicted);
    }
    predictedByRow[i] = predicted.purchases;
    absoluteErrors[i] = Math.abs(predicted.purchases - holdoutPurchases);
    squaredErrors[i] = absoluteErrors[i]! * absoluteErrors[i]!;
    logLosses[i] = -Math.log(Math.max(1e-12, holdoutPurchases === 0 ? predicted.none : 1 - predicted.none));
    absolute += weight * absoluteErrors[i]!;
    squared += weight * squaredErrors[i]!;
    logLoss += weight * logLosses[i]!;
    predictedPurchases += weight * predicted.purchases;
    actualPurchases += weight * holdoutPurchases;
    contacts += weight;
  }
  return {
    meanAbsoluteError: absolute / contacts,
    meanSquaredError: squared / contacts,
    predictedPurchases,
    actualPurchases,
    totalError: actualPurchases > 0 ? (predictedPurchases - actualPurchases) / actualPurchases : Number.NaN,
    churnLogLoss: logLoss / contacts,
    perRow: { absoluteErrors, squaredErrors, logLosses, predicted: predictedByRow },
  };
}
