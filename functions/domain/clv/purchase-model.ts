import type { CustomerSummary, SummaryTable } from "./customer-summary.js";

export type PurchaseModelName = "bg-nbd" | "mbg-nbd" | "pareto-nbd" | "mbg-cnbd-k";
export const purchaseModelNames: readonly PurchaseModelName[] = ["bg-nbd", "mbg-nbd", "pareto-nbd", "mbg-cnbd-k"];

/** Parameters by name; every parameter of these models is positive. */
export type ModelParams = Record<string, number>;

/**
 * The one surface every "buy till you die" purchase model offers (as lifetimes does), so the
 * nightly job can fit several, compare them on a holdout and swap them.
 */
export interface PurchaseModel<P extends ModelParams = ModelParams> {
  readonly name: PurchaseModelName;
  /** Order of the parameter vector used by `tableLogLikelihood` and the optimizer. */
  readonly parameterNames: readonly (keyof P & string)[];
  /** Starting points for the optimizer, one parameter vector each (in parameterNames order). */
  readonly starts: readonly (readonly number[])[];
  /**
   * The model's own maximum-likelihood fit, when it is more than one optimizer run (MBG/CNBD-k fits
   * each whole k); without it fit.ts fitModel maximizes tableLogLikelihood.
   */
  fit?(table: SummaryTable, options?: FitOptions): ModelFit<P>;
  /** One contact's log-likelihood (the paper's equation, in log space). */
  logLikelihood(params: P, s: CustomerSummary): number;
  /**
   * Σ weight × log-likelihood over a table. When `gradient` is given and the model has an analytic
   * gradient, it is filled with ∂/∂θ in parameterNames order and the function returns true in
   * `hasGradient`; otherwise the optimizer differentiates numerically.
   */
  tableLogLikelihood(theta: Float64Array, table: SummaryTable, gradient: Float64Array | null): number;
  readonly hasGradient: boolean;
  /** E[X(T, T + t) | history]: expected purchases in the next t time units. */
  expectedPurchases(params: P, s: CustomerSummary, t: number): number;
  /** P(alive at T | history). */
  probabilityAlive(params: P, s: CustomerSummary): number;
  /** E[X(t)] for a new customer: expected repeat purchases in (0, t]. */
  expectedPurchasesUnconditional(params: P, t: number): number;
  /**
   * P(no purchase in (T, T + horizon] | history). With the likelihood of a summary being the
   * probability of its history, this is L(x, tₓ, T + horizon) / L(x, tₓ, T).
   */
  probabilityNoPurchase(params: P, s: CustomerSummary, horizon: number): number;
  /**
   * Median wait from T to the next purchase given the history (next-purchase.ts), Infinity when there
   * is no finite median; models without a closed form leave it out and it is found by bisection.
   */
  medianWait?(params: P, s: CustomerSummary): number;
  /**
   * All three predictions for many contacts at fixed parameters and horizons. A model may share work
   * between contacts here (BG/NBD's ₂F₁ depends on x and T only); without it each is computed alone.
   */
  predictor?(params: P, t: number, horizon: number): Predictor;
  /** Where the model becomes a simpler one (fit.ts reports a fit there as at a bound). */
  readonly limits?: readonly ParameterLimit[];
}

/** E[purchases in the next t], P(alive) and P(no purchase in the horizon) of one contact. */
export interface ContactPrediction {
  expectedPurchases: number;
  probabilityAlive: number;
  probabilityNoPurchase: number;
}
export type Predictor = (s: CustomerSummary) => ContactPrediction;

/** The predictor of a model: its own, or the three methods called one by one. */
export function predictorOf<P extends ModelParams>(model: PurchaseModel<P>, params: P, t: number, horizon: number): Predictor {
  if (model.predictor) return model.predictor(params, t, horizon);
  // Contacts with the same summary share one prediction (at daily resolution many do).
  const cache = new Map<string, ContactPrediction>();
  return (s) => {
    const key = `${s.frequency}|${s.recency}|${s.T}`;
    let prediction = cache.get(key);
    if (!prediction) {
      prediction = {
        expectedPurchases: model.expectedPurchases(params, s, t),
        probabilityAlive: model.probabilityAlive(params, s),
        probabilityNoPurchase: model.probabilityNoPurchase(params, s, horizon),
      };
      cache.set(key, prediction);
    }
    return prediction;
  };
}

export interface FitOptions {
  /** Extra starting points tried after the model's own. */
  starts?: readonly (readonly number[])[];
  maxIterations?: number;
  /** Stop when the gradient's largest component (log-parameter space) falls below this. */
  gradientTolerance?: number;
  /**
   * Fits of other models on the same table, by name: a model that nests one starts from its maximum
   * instead of searching again from every start (MBG/CNBD-k at k = 1 is MBG/NBD).
   */
  fitted?: ReadonlyMap<PurchaseModelName, ModelFit>;
}

export interface ModelFit<P extends ModelParams = ModelParams> {
  model: string;
  params: P;
  logLikelihood: number;
  /** Number of contacts (total weight) the fit saw. */
  customers: number;
  converged: boolean;
  iterations: number;
  /** Asymptotic standard errors from the observed information matrix, by parameter; NaN (null in JSON) at a bound. */
  standardErrors: P;
  /**
   * Parameters at a limit of their range (0 or ∞): the data cannot tell the estimate from the limit,
   * so the fit is the simpler model it reduces to there. Empty for a fit inside the range.
   */
  boundary: string[];
  /** Parameters the fit really estimates: all, less those at a limit (a limit of two with their ratio kept leaves one). */
  freeParameters: number;
  /** The model a fit at a bound reduces to, e.g. "NBD: no dropout seen". */
  reducesTo?: string;
  /** What the boundary means for the figures, in words a store's engineer and marketer read. */
  warnings: string[];
}

/**
 * A limit of a model's parameter range where it becomes a simpler model: the parameters go there
 * together (a ratio kept), e.g. BG/NBD with a → 0 is the NBD, (r, α) → ∞ a Poisson rate shared by all.
 */
export interface ParameterLimit {
  readonly parameters: readonly string[];
  readonly toward: "0" | "∞";
  /** The model at the limit, in words. */
  readonly reducesTo: string;
  /** The limit takes dropout away: P(alive) is ~1 for everyone and says nothing. */
  readonly noDropout?: boolean;
}

/** A fit that could not produce trustworthy parameters: the reason is for the store's engineer. */
export class ModelFitError extends Error {
  constructor(
    readonly model: string,
    readonly reason: string,
  ) {
    super(`${model}: fit failed: ${reason}`);
    this.name = "ModelFitError";
  }
}

/**
 * P(no purchase in (T, T + horizon] | history) = L(x, tₓ, T + horizon) / L(x, tₓ, T): each model's
 * likelihood is the probability of the observed purchase times and of none after tₓ up to T, so
 * stretching T by the horizon multiplies in exactly the event "no purchase in the horizon".
 */
export function probabilityNoPurchaseByLikelihoodRatio<P extends ModelParams>(
  logLikelihood: (params: P, s: CustomerSummary) => number,
  params: P,
  s: CustomerSummary,
  horizon: number,
): number {
  if (horizon <= 0) return 1;
  const ratio = Math.exp(logLikelihood(params, { ...s, T: s.T + horizon }) - logLikelihood(params, s));
  return Math.min(1, Math.max(0, ratio));
}

/** Parameter object from a vector in the model's parameterNames order. */
export function paramsFromVector<P extends ModelParams>(names: readonly (keyof P & string)[], theta: ArrayLike<number>): P {
  const params = {} as Record<string, number>;
  names.forEach((name, i) => (params[name] = theta[i]!));
  return params as P;
}
