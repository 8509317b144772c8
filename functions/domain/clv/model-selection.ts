import type { PurchaseModelName } from "./purchase-model.js";

/**
 * One candidate's holdout errors, row by row of the calibration table (the same rows, in the same
 * order, for every candidate); a row stands for `weights[i]` contacts with the same history and holdout.
 */
export interface CandidateErrors {
  model: PurchaseModelName;
  /** Parameters the fit estimates: all of them minus those at a bound (a model at a limit is the simpler model). */
  freeParameters: number;
  weights: Float64Array;
  /** |predicted − actual| holdout purchases per row. */
  absoluteErrors: Float64Array;
  /** (predicted − actual)² holdout purchases per row: what the selection ranks by. */
  squaredErrors: Float64Array;
  /** −log P(what happened: an order or none in the holdout) per row. */
  logLosses: Float64Array;
}

export interface ModelSelection {
  chosen: PurchaseModelName;
  /** The smallest mean squared error per contact. */
  best: PurchaseModelName;
  /** Candidates the holdout cannot tell from the best (the best included), simplest first. */
  indistinguishable: PurchaseModelName[];
  /** Groups of the other candidates that the holdout cannot tell from each other (by error), when there are. */
  alike?: PurchaseModelName[][];
  /** Why the chosen one, in words. */
  reason: string;
}

/**
 * Candidates are ranked by the mean squared error of their holdout forecasts per contact. A forecast of
 * purchases is an expected count, and the expectation is what squared error rewards; absolute error
 * rewards the median (Gneiting 2011, "Making and evaluating point forecasts"), which for the mostly-zero
 * counts of a holdout is 0, so ranking by it favours whichever model forecasts fewer purchases (MBG/NBD
 * over BG/NBD on CDNOW, at a larger total error).
 *
 * Two candidates are indistinguishable on the holdout when neither their mean squared error nor their
 * churn log loss differ by more than this many standard errors of the paired per-contact difference
 * (the Diebold–Mariano test, Diebold & Mariano 1995, at about 5 %): a smaller difference is what
 * another draw of the same contacts could reverse, so it is no reason to prefer the more complex model.
 */
export const INDISTINGUISHABLE_STANDARD_ERRORS = 2;

/** Simplest first where free parameters tie: BG/NBD is the textbook model, each later one adds an assumption. */
const SIMPLICITY_ORDER: readonly PurchaseModelName[] = ["bg-nbd", "mbg-nbd", "pareto-nbd", "mbg-cnbd-k"];

/** Weighted mean of values. */
function weightedMean(values: Float64Array, weights: Float64Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    sum += weights[i]! * values[i]!;
    n += weights[i]!;
  }
  return n > 0 ? sum / n : 0;
}

/** Mean and standard error of the mean of yᵢ − xᵢ over contacts (rows weighted by their contacts). */
function pairedDifference(x: Float64Array, y: Float64Array, weights: Float64Array): { mean: number; standardError: number } {
  let n = 0;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < x.length; i++) {
    const d = y[i]! - x[i]!;
    const w = weights[i]!;
    n += w;
    sum += w * d;
    squares += w * d * d;
  }
  const mean = n > 0 ? sum / n : 0;
  const variance = n > 1 ? Math.max(0, (squares - n * mean * mean) / (n - 1)) : 0;
  return { mean, standardError: Math.sqrt(variance / Math.max(1, n)) };
}

/**
 * Below this share of the best's mean error a difference is none at all, however consistent: two fits
 * of the same limit (BG/NBD and Pareto/NBD both at the NBD) differ in the 6th digit with a standard
 * error in the 7th.
 */
const NEGLIGIBLE_SHARE = 0.001;

/** Whether y's errors are within INDISTINGUISHABLE_STANDARD_ERRORS (or NEGLIGIBLE_SHARE) of x's. */
function withinNoise(x: Float64Array, y: Float64Array, weights: Float64Array): boolean {
  const { mean, standardError } = pairedDifference(x, y, weights);
  const baseline = Math.abs(weightedMean(x, weights));
  return Math.abs(mean) <= Math.max(INDISTINGUISHABLE_STANDARD_ERRORS * standardError, NEGLIGIBLE_SHARE * baseline);
}

/** Whether `candidate`'s errors are lower than `base`'s by more than the noise (the same paired test). */
export function improvesBeyondNoise(base: Float64Array, candidate: Float64Array, weights: Float64Array): boolean {
  const { mean } = pairedDifference(base, candidate, weights);
  return mean < 0 && !withinNoise(base, candidate, weights);
}

/**
 * The model to use: the smallest mean squared error per contact on the holdout, unless simpler
 * candidates are indistinguishable from it (on counts and on churn), in which case the simplest of
 * those — fewest free parameters, then SIMPLICITY_ORDER. Returns the candidates ranked for the refit:
 * the chosen first, then the rest by mean squared error.
 */
export function selectModel(candidates: readonly CandidateErrors[]): { selection: ModelSelection; ranked: PurchaseModelName[] } | undefined {
  const byError = [...candidates].sort((x, y) => weightedMean(x.squaredErrors, x.weights) - weightedMean(y.squaredErrors, y.weights));
  const best = byError[0];
  if (!best) return undefined;
  const simplicity = (c: CandidateErrors) => c.freeParameters * 100 + SIMPLICITY_ORDER.indexOf(c.model);
  const tied = byError
    .filter((c) => c === best || (withinNoise(best.squaredErrors, c.squaredErrors, best.weights) && withinNoise(best.logLosses, c.logLosses, best.weights)))
    .sort((x, y) => simplicity(x) - simplicity(y));
  const chosen = tied[0]!;
  const names = (list: readonly CandidateErrors[]) => list.map((c) => c.model).join(", ");
  // The candidates not kept that the holdout cannot tell from each other (several fits of one limit,
  // say), each group led by its lowest error: rows that look alike in the table are said to be alike.
  const alike: CandidateErrors[][] = [];
  for (const c of byError.filter((c) => !tied.includes(c))) {
    const group = alike.find((g) => withinNoise(g[0]!.squaredErrors, c.squaredErrors, c.weights) && withinNoise(g[0]!.logLosses, c.logLosses, c.weights));
    if (group) group.push(c);
    else alike.push([c]);
  }
  const groups = alike.filter((g) => g.length > 1).map((g) => g.sort((x, y) => simplicity(x) - simplicity(y)));
  const reason =
    (tied.length === 1
      ? `${chosen.model} has the smallest mean squared error per contact on the holdout, and every other candidate differs from it by more than ${INDISTINGUISHABLE_STANDARD_ERRORS} standard errors of the paired per-contact difference in squared error or in churn log loss.`
      : `${names(tied)} are indistinguishable on the holdout (their mean squared errors and churn log losses differ by no more than ${INDISTINGUISHABLE_STANDARD_ERRORS} standard errors of the paired per-contact difference), so the simplest is kept: ${chosen.model}${chosen === best ? "" : ` (${best.model} was lower by a margin the holdout cannot confirm)`}.`) +
    groups.map((g) => ` ${names(g)} are indistinguishable from each other.`).join("");
  return {
    selection: { chosen: chosen.model, best: best.model, indistinguishable: tied.map((c) => c.model), ...(groups.length > 0 && { alike: groups.map((g) => g.map((c) => c.model)) }), reason },
    ranked: [chosen.model, ...byError.filter((c) => c !== chosen).map((c) => c.model)],
  };
}
