import { bgNbd, mbgNbd } from "./bg-nbd.js";
import { purchaseTable, type CustomerSummary } from "./customer-summary.js";
import { checkEligibility, defaultEligibilityRules, type Eligibility, type EligibilityRules } from "./eligibility.js";
import { fitModel } from "./fit.js";
import { fitGammaGamma, type GammaGammaParams } from "./gamma-gamma.js";
import { calibrationHoldout, dayNumber, DAYS_PER_UNIT, MS_PER_DAY, summarize, type ContactHistory, type TimeUnit } from "./order-history.js";
import { paretoNbd } from "./pareto-nbd.js";
import { ModelFitError, purchaseModelNames, type ModelFit, type PurchaseModel, type PurchaseModelName } from "./purchase-model.js";

export const purchaseModels: Record<PurchaseModelName, PurchaseModel> = {
  "bg-nbd": bgNbd as unknown as PurchaseModel,
  "mbg-nbd": mbgNbd as unknown as PurchaseModel,
  "pareto-nbd": paretoNbd as unknown as PurchaseModel,
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
  };
  /** The chosen model refitted on all data; absent when there are no predictions. */
  purchaseModel?: ModelFit & { model: PurchaseModelName };
  spendModel?: ModelFit<GammaGammaParams>;
  /** Why the spend model is missing (predicted CLV then uses each contact's average order value). */
  spendModelError?: string;
  /** Why there are no predictions, in the store's words; empty when there are. */
  reasons: string[];
}

const isoDay = (day: number) => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);

/** Holdout length by default: a third of the history, at least 30 and at most 365 days. */
export function defaultHoldoutDays(historyDays: number): number {
  return Math.min(365, Math.max(30, Math.round(historyDays / 3)));
}

/**
 * The nightly model run: eligibility → fit each purchase model on the calibration window → compare
 * them on the holdout (rankCandidates) → refit the best on all data → fit Gamma-Gamma on all repeat buyers.
 */
export function runModels(histories: readonly ContactHistory[], asOf: number, options: ModelRunOptions = defaultModelRunOptions): ModelRun {
  const asOfDay = dayNumber(asOf);
  const eligibility = checkEligibility(histories, asOf, options.rules);
  const run: ModelRun = { asOf: isoDay(asOfDay), unit: options.unit, contacts: histories.length, eligibility, reasons: [...eligibility.reasons] };
  if (!eligibility.eligible) return run;

  const firstDay = Math.min(...histories.map((h) => h.purchaseDays[0]!));
  const holdoutDays = options.holdoutDays ?? defaultHoldoutDays(asOfDay - firstDay);
  const calibrationEndDay = asOfDay - holdoutDays;
  const split = calibrationHoldout(histories, calibrationEndDay, asOfDay, options.unit);
  const calibration = purchaseTable(split.map((c) => c.calibration));
  const horizon = holdoutDays / DAYS_PER_UNIT[options.unit];
  const candidates: HoldoutEvaluation[] = options.models.map((name) => {
    const model = purchaseModels[name];
    try {
      const fit = fitModel(model, calibration);
      return { model: name, fit, ...holdoutError(model, fit.params, split, horizon) };
    } catch (error) {
      return { model: name, error: error instanceof ModelFitError ? error.reason : String(error) };
    }
  });
  run.holdout = { calibrationEnd: isoDay(calibrationEndDay), holdoutEnd: isoDay(asOfDay), holdoutDays, contacts: split.length, candidates };

  const ranked = rankCandidates(candidates);
  const summaries = histories.map((h) => summarize(h, asOfDay, options.unit)!);
  const allData = purchaseTable(summaries);
  for (const candidate of ranked) {
    try {
      run.purchaseModel = { ...fitModel(purchaseModels[candidate.model], allData), model: candidate.model };
      break;
    } catch (error) {
      run.reasons.push(`${candidate.model} fitted the calibration window but not all data: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (!run.purchaseModel) {
    if (ranked.length === 0) run.reasons.push(`no purchase model could be fitted: ${candidates.map((c) => `${c.model}: ${c.error}`).join("; ")}`);
    return run;
  }
  run.reasons = [];
  try {
    const spend = fitGammaGamma(summaries);
    if (spend.params.q <= 1) throw new ModelFitError("gamma-gamma", `q = ${spend.params.q.toFixed(3)} ≤ 1 gives no finite mean order value`);
    run.spendModel = spend;
  } catch (error) {
    run.spendModelError = error instanceof Error ? error.message : String(error);
  }
  return run;
}

/** Models whose per-contact error is within this share of the best one's count as equally good at counts. */
const NEAR_TIE = 0.01;

/**
 * Best first: by mean absolute error per contact; among models within NEAR_TIE of the best, by churn
 * log loss, since churn risk is the other figure a marketer acts on and a near-tie on counts says
 * nothing about it.
 */
export function rankCandidates(candidates: readonly HoldoutEvaluation[]): HoldoutEvaluation[] {
  const evaluated = candidates.filter((c) => c.meanAbsoluteError !== undefined).sort((x, y) => x.meanAbsoluteError! - y.meanAbsoluteError!);
  const best = evaluated[0]?.meanAbsoluteError;
  if (best === undefined) return [];
  const nearTie = evaluated.filter((c) => c.meanAbsoluteError! <= best * (1 + NEAR_TIE)).sort((x, y) => x.churnLogLoss! - y.churnLogLoss!);
  return [...nearTie, ...evaluated.filter((c) => !nearTie.includes(c))];
}

/** Per-contact and total error of a model's holdout forecast; identical summaries are predicted once. */
function holdoutError(model: PurchaseModel, params: Record<string, number>, split: readonly { calibration: CustomerSummary; holdoutPurchases: number }[], horizon: number) {
  const cache = new Map<string, { purchases: number; none: number }>();
  let absolute = 0;
  let logLoss = 0;
  let predictedPurchases = 0;
  let actualPurchases = 0;
  for (const { calibration: s, holdoutPurchases } of split) {
    const key = `${s.frequency}|${s.recency}|${s.T}`;
    let predicted = cache.get(key);
    if (predicted === undefined) {
      predicted = { purchases: model.expectedPurchases(params, s, horizon), none: model.probabilityNoPurchase(params, s, horizon) };
      cache.set(key, predicted);
    }
    absolute += Math.abs(predicted.purchases - holdoutPurchases);
    logLoss -= Math.log(Math.max(1e-12, holdoutPurchases === 0 ? predicted.none : 1 - predicted.none));
    predictedPurchases += predicted.purchases;
    actualPurchases += holdoutPurchases;
  }
  return {
    meanAbsoluteError: absolute / split.length,
    predictedPurchases,
    actualPurchases,
    totalError: actualPurchases > 0 ? (predictedPurchases - actualPurchases) / actualPurchases : Number.NaN,
    churnLogLoss: logLoss / split.length,
  };
}
