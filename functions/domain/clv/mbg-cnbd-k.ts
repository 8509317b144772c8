import { logAddExp, logGamma } from "../numeric/log-gamma.js";
import { dropoutLimits, mbgNbd, type BgNbdParams } from "./bg-nbd.js";
import { betaGeometricLikelihood, phaseTerms } from "./beta-geometric-likelihood.js";
import type { CustomerSummary, SummaryTable } from "./customer-summary.js";
import { fitAtMaximum, maximumOf, type LikelihoodModel } from "./fit.js";
import { ModelFitError, type FitOptions, type ModelFit, type PurchaseModel } from "./purchase-model.js";

/**
 * MBG/CNBD-k (Platzer & Reutterer 2016, "Ticking away the moments: timing regularity helps to better
 * predict customer activity", Marketing Science 35(5); BTYDplus `mbgcnbd.*`). Purchases of a live
 * customer are every k-th event of a Poisson process of rate λ ~ Gamma(r, α), so the times between
 * them are Erlang-k: k = 1 is MBG/NBD, a larger k a more regular buyer. Right after the first purchase
 * and after each repeat one the customer drops out with probability p ~ Beta(a, b). k is a whole
 * number chosen by the likelihood; it needs one more statistic per contact, the sum of the logs of the
 * times between purchases (litt), and only through its total over the contacts (see regularityTerm).
 */
export type MbgCnbdParams = BgNbdParams & { k: number };

/** r or α above this (e⁷) in a k's estimate: the rates' Gamma spread is near its Poisson limit. */
const POISSON_PLATEAU = Math.exp(7);

/** The largest k tried: BTYDplus searches 1..12. */
export const MAX_REGULARITY = 12;

/**
 * Σ over the contacts of the likelihood's k-dependent factor that the summaries (x, tₓ, T) leave out:
 * Π (itt)^(k−1) / ((k−1)!)^x in the Erlang-k density of the x inter-purchase times, in log:
 * (k − 1)·Σ litt − x·log((k−1)!) (Platzer & Reutterer 2016, eq. 7; BTYDplus xbgcnbd.LL's P1). It does
 * not depend on (r, α, a, b), so each k is fitted on the distinct summaries and this is added after.
 */
export function regularityTerm(k: number, logInterPurchaseTimes: number, repeatPurchases: number): number {
  return (k - 1) * logInterPurchaseTimes - repeatPurchases * logGamma(k);
}

/** The model with k fixed: what the optimizer fits (r, α, a, b) on, the litt factor left out (beta-geometric-likelihood.ts). */
function fixedRegularity(k: number): LikelihoodModel<BgNbdParams> & { logLikelihood(p: BgNbdParams, s: CustomerSummary): number } {
  return {
    name: "mbg-cnbd-k",
    parameterNames: ["r", "alpha", "a", "b"],
    // k = 1 starts where MBG/NBD does; each larger k from the fit of the one before (fitMbgCnbdK).
    starts: k === 1 ? mbgNbd.starts : [],
    hasGradient: true,
    limits: dropoutLimits,
    ...betaGeometricLikelihood(k, 1),
  };
}

const fixedRegularityModels = new Map<number, ReturnType<typeof fixedRegularity>>();
/** The model with k fixed, as the optimizer sees it: (r, α, a, b), the litt factor left out. */
export function regularityModel(k: number) {
  let model = fixedRegularityModels.get(k);
  if (!model) fixedRegularityModels.set(k, (model = fixedRegularity(k)));
  return model;
}

/**
 * Maximum likelihood over k = 1, 2, … and (r, α, a, b): each k fitted on the distinct summaries, the
 * litt factor added, the best k kept. The search stops at the first k whose likelihood is below the
 * previous one's (BTYDplus waits for two falls in a row; the profile likelihood in k has one peak in
 * every data set we fit — test/unit/mbg-cnbd-k.test.ts checks all twelve k on CDNOW and BTYDplus's
 * settings — and each k costs a fit), or when a k does not converge. Each k > 1 starts from
 * the previous k's estimate with α scaled by (k−1)/k, so the mean time between purchases k·α/r stays.
 * Needs the table's Σ litt: without it the k cannot be chosen.
 */
export function fitMbgCnbdK(table: SummaryTable, options: FitOptions = {}): ModelFit<MbgCnbdParams> {
  const litt = table.logInterPurchaseTimes;
  if (litt === undefined || !Number.isFinite(litt)) {
    throw new ModelFitError("mbg-cnbd-k", "needs each contact's sum of log times between purchases (litt) to choose k, and the summaries have none");
  }
  const repeats = repeatPurchasesOf(table);
  // Each k's maximum alone; standard errors and limits only for the k kept.
  let best: { k: number; maximum: ReturnType<typeof maximumOf>; logLikelihood: number } | undefined;
  let previous: ReturnType<typeof maximumOf> | undefined;
  for (let k = 1; k <= MAX_REGULARITY; k++) {
    let maximum: ReturnType<typeof maximumOf>;
    try {
      const starts = previous ? [[previous.theta[0]!, (previous.theta[1]! * (k - 1)) / k, previous.theta[2]!, previous.theta[3]!]] : [];
      // A previous k whose rate spread ran off to its Poisson limit ((r, α) → ∞: regular buyers fitted
      // with too small a k) leaves a plateau where this k's maximum cannot be found: MBG/NBD's starts too.
      if (previous && Math.max(previous.theta[0]!, previous.theta[1]!) > POISSON_PLATEAU) starts.push(...mbgNbd.starts.map((s) => [...s]));
      // k = 1 is MBG/NBD: when it was fitted on this table already, its maximum is the one start.
      const nested = k === 1 ? mbgNbdMaximumOf(options) : undefined;
      maximum = nested
        ? maximumOf({ ...regularityModel(1), starts: [nested] }, table, { ...options, starts: options.starts ?? [] })
        : maximumOf(regularityModel(k), table, { ...options, starts: [...starts, ...(options.starts ?? [])] });
    } catch (error) {
      if (k === 1) throw error;
      break;
    }
    const logLikelihood = maximum.logLikelihood + regularityTerm(k, litt, repeats);
    const improved = !best || logLikelihood > best.logLikelihood;
    if (improved) best = { k, maximum, logLikelihood };
    previous = maximum;
    if (!improved) break;
  }
  const { k, maximum, logLikelihood } = best!;
  const fit = fitAtMaximum<BgNbdParams>(regularityModel(k), table, maximum);
  return {
    ...fit,
    params: { k, ...fit.params },
    // k is chosen by the likelihood among whole numbers: it has no standard error.
    standardErrors: { k: Number.NaN, ...fit.standardErrors },
    logLikelihood,
    // k is estimated too (k = 1 is MBG/NBD), so the selection counts it.
    freeParameters: fit.freeParameters + 1,
    warnings:
      k === MAX_REGULARITY
        ? [...fit.warnings, `k reached ${MAX_REGULARITY}, the largest tried: the purchases are at least that regular, or (with few repeat purchases) the data do not identify k.`]
        : fit.warnings,
  };
}

/** MBG/NBD's (r, α, a, b) from a fit of it on the same table (FitOptions.fitted), when it converged. */
function mbgNbdMaximumOf(options: FitOptions): number[] | undefined {
  const fit = options.fitted?.get("mbg-nbd");
  if (!fit?.converged) return undefined;
  const { r, alpha, a, b } = fit.params;
  return [r, alpha, a, b].every((v) => v !== undefined && Number.isFinite(v) && v > 0) ? [r!, alpha!, a!, b!] : undefined;
}

/**
 * E[purchases in (T, T + t]] of a customer alive at T with j of the k events of the next purchase
 * already made: λ | alive, j ~ Gamma(R + j, α + T) (R = r + k·x), so the events N in the next t are
 * NBD(R + j, θ = (α+T)/(α+T+t)), and they complete ⌊(N + j)/k⌋ purchases; the n-th of those happens
 * only if the customer survived the n − 1 dropout chances before it, E[(1−p)^(n−1)] with
 * p | alive ~ Beta(a, b + x + 1). The sum runs over N from its mode outward until the terms vanish.
 * This is the exact conditional expectation (the series converges absolutely); BTYDplus approximates
 * it by BG/NBD's closed form with α scaled by k and a cohort-level bias correction instead.
 */
function expectedIfAliveInPhase(params: MbgCnbdParams, x: number, T: number, j: number, t: number): number {
  const { k, r, alpha, a, b } = params;
  const shape = r + k * x + j;
  const logTheta = Math.log(alpha + T) - Math.log(alpha + T + t);
  const q = t / (alpha + T + t);
  const logQ = Math.log(q);
  const mode = Math.max(0, Math.floor(((shape - 1) * q) / (1 - q)));
  const logPeak = logGamma(shape + mode) - logGamma(shape) - logGamma(mode + 1) + shape * logTheta + mode * logQ;
  // survivalSums[n]: Σ_{i=1..n} E[(1−p)^(i−1)], grown as far as N reaches.
  const bAlive = b + x + 1;
  const survivalSums: number[] = [0];
  let survival = 1;
  const purchasesUpTo = (n: number) => {
    while (survivalSums.length <= n) {
      const i = survivalSums.length;
      survivalSums.push(survivalSums[i - 1]! + survival);
      survival *= (bAlive + i - 1) / (a + bAlive + i - 1);
    }
    return survivalSums[n]!;
  };
  const tolerance = 1e-16;
  let total = 0;
  let mass = 0;
  let pmf = Math.exp(logPeak);
  const peak = pmf;
  for (let m = mode; ; m++) {
    total += pmf * purchasesUpTo(Math.floor((m + j) / k));
    mass += pmf;
    pmf *= ((shape + m) / (m + 1)) * q;
    if (pmf < tolerance * peak && m > mode) break;
  }
  pmf = peak;
  for (let m = mode; m > 0; ) {
    pmf *= m / ((shape + m - 1) * q);
    m--;
    total += pmf * purchasesUpTo(Math.floor((m + j) / k));
    mass += pmf;
    if (pmf < tolerance * peak) break;
  }
  // mass is 1 up to the terms left out; dividing keeps the peak's rounding out of the answer.
  return mass > 0 ? total / mass : 0;
}

/** The state a contact's figures come from: log of (S, the phase terms) and of the dropped-out weight, on the same scale. */
function posteriorOf(params: MbgCnbdParams, { frequency: x, recency: tx, T }: CustomerSummary) {
  const { k, r, alpha, a, b } = params;
  const R = r + k * x;
  const terms = new Float64Array(k);
  const S = phaseTerms(k, R, (T - tx) / (alpha + T), terms);
  // log of S1 / S2 in BTYDplus's xbgcnbd.PAlive: the odds of having dropped out.
  const logOddsDropped = Math.log(a) - Math.log(b + x) + R * (Math.log(alpha + T) - Math.log(alpha + tx)) - Math.log(S);
  return { terms, S, probabilityAlive: 1 / (1 + Math.exp(logOddsDropped)) };
}

/** Expected purchases in phase j for a whole prediction run, cached by (x, T): they do not depend on tₓ. */
function phaseExpectations(params: MbgCnbdParams, t: number) {
  const byX = new Map<number, Map<number, Float64Array>>();
  return (x: number, T: number): Float64Array => {
    let byT = byX.get(x);
    if (!byT) byX.set(x, (byT = new Map()));
    let values = byT.get(T);
    if (!values) {
      values = new Float64Array(params.k);
      for (let j = 0; j < params.k; j++) values[j] = t > 0 ? expectedIfAliveInPhase(params, x, T, j, t) : 0;
      byT.set(T, values);
    }
    return values;
  };
}

const expectationCaches = new WeakMap<MbgCnbdParams, Map<number, ReturnType<typeof phaseExpectations>>>();
function cachedPhaseExpectations(params: MbgCnbdParams, t: number) {
  let byHorizon = expectationCaches.get(params);
  if (!byHorizon) expectationCaches.set(params, (byHorizon = new Map()));
  let table = byHorizon.get(t);
  if (!table) byHorizon.set(t, (table = phaseExpectations(params, t)));
  return table;
}

/** E[X(T, T + t) | x, tₓ, T] = Σⱼ P(alive, phase j | history) · E[purchases | alive, j]. */
function expectedPurchasesWith(expectations: ReturnType<typeof phaseExpectations>, params: MbgCnbdParams, s: CustomerSummary, posterior = posteriorOf(params, s)): number {
  const { terms, S, probabilityAlive } = posterior;
  const byPhase = expectations(s.frequency, s.T);
  let sum = 0;
  for (let j = 0; j < params.k; j++) sum += terms[j]! * byPhase[j]!;
  return Math.max(0, (probabilityAlive * sum) / S);
}

/**
 * P(no purchase in (T, T + h] | history) = L(x, tₓ, T + h) / L(x, tₓ, T) with the factors that do not
 * move with T left out: only the live branch (α+T)^−R · S(T) changes, the dropped-out one stays. No
 * log-gamma here, so the next-order median's bisection (next-purchase.ts) stays cheap.
 */
function probabilityNoPurchase(params: MbgCnbdParams, { frequency: x, recency: tx, T }: CustomerSummary, horizon: number): number {
  if (horizon <= 0) return 1;
  const { k, r, alpha, a, b } = params;
  const R = r + k * x;
  const alive = (until: number) => -R * Math.log(alpha + until) + Math.log(phaseTerms(k, R, (until - tx) / (alpha + until)));
  const dropped = Math.log(a) - Math.log(b + x) - R * Math.log(alpha + tx);
  const ratio = Math.exp(logAddExp(alive(T + horizon), dropped) - logAddExp(alive(T), dropped));
  return Math.min(1, Math.max(0, ratio));
}

/**
 * The median wait from T to the next purchase given the history (next-purchase.ts): the w where
 * P(no purchase in (T, T + w]) = ½. With A(T') = (α+T')^−R · S(T') the live branch of the likelihood
 * and D the dropped-out one, that is A(T + w) = (A(T) − D)/2, finite only when P(alive) = A/(A+D) > ½.
 * log A is decreasing in y = log(α + T'), with slope −R + (1−u)·S'(u)/S, so Newton's method on y,
 * kept inside a bracket, finds it in a few steps where bisection of the ratio takes dozens.
 */
function medianWait(params: MbgCnbdParams, { frequency: x, recency: tx, T }: CustomerSummary): number {
  const { k, r, alpha, a, b } = params;
  const R = r + k * x;
  // log A at y and its derivative in y.
  const logLive = (y: number): [number, number] => {
    const u = Math.max(0, 1 - (alpha + tx) * Math.exp(-y));
    let term = 1;
    let S = 1;
    let slope = R; // Σ j·(R)_j·u^(j−1)/j!: dS/du
    let c = R;
    for (let j = 1; j < k; j++) {
      term *= ((R + j - 1) * u) / j;
      S += term;
      if (j + 1 < k) {
        c *= ((R + j) * u) / j;
        slope += c;
      }
    }
    if (k === 1) slope = 0;
    return [-R * y + Math.log(S), -R + ((1 - u) * slope) / S];
  };
  const logDropped = Math.log(a) - Math.log(b + x) - R * Math.log(alpha + tx);
  const y0 = Math.log(alpha + T);
  const [logA0] = logLive(y0);
  if (!(logA0 > logDropped)) return Infinity;
  const target = logA0 + Math.log1p(-Math.exp(logDropped - logA0)) - Math.LN2;
  let low = y0;
  let high = y0 + 1;
  while (logLive(high)[0] > target) {
    low = high;
    high += 2 * (high - y0);
    if (high > y0 + 60) return Infinity;
  }
  let y = (low + high) / 2;
  for (let iteration = 0; iteration < 100; iteration++) {
    const [value, slope] = logLive(y);
    if (value > target) low = y;
    else high = y;
    let next = y - (value - target) / slope;
    if (!(next > low && next < high)) next = (low + high) / 2;
    if (Math.abs(next - y) < 1e-12 * Math.max(1, Math.abs(y))) {
      y = next;
      break;
    }
    y = next;
  }
  return Math.max(0, Math.exp(y) - alpha - T);
}

/** One contact's log-likelihood with k from the parameters, litt included when the summary has it. */
function logLikelihood(params: MbgCnbdParams, s: CustomerSummary): number {
  const value = regularityModel(params.k).logLikelihood(params, s);
  return s.logInterPurchaseTimes === undefined ? value : value + regularityTerm(params.k, s.logInterPurchaseTimes, s.frequency);
}

/** Total repeat purchases of a table: Σ weight · x. */
function repeatPurchasesOf(table: SummaryTable): number {
  let repeats = 0;
  for (let i = 0; i < table.length; i++) repeats += table.weight[i]! * table.frequency[i]!;
  return repeats;
}

export const mbgCnbdK: PurchaseModel<MbgCnbdParams> = {
  name: "mbg-cnbd-k",
  parameterNames: ["k", "r", "alpha", "a", "b"],
  starts: mbgNbd.starts.map((start) => [1, ...start]),
  // k is a whole number: the optimizer never moves it (fitMbgCnbdK fits each k), so there is no gradient in it.
  hasGradient: false,
  limits: dropoutLimits,
  fit: fitMbgCnbdK,
  logLikelihood,
  /** Σ weight · log-likelihood at θ = (k, r, α, a, b), the litt factor included when the table has its total. */
  tableLogLikelihood(theta, table) {
    const k = theta[0]!;
    const value = regularityModel(k).tableLogLikelihood(theta.subarray(1), table, null);
    const litt = table.logInterPurchaseTimes;
    return litt === undefined ? value : value + regularityTerm(k, litt, repeatPurchasesOf(table));
  },
  expectedPurchases: (params, s, t) => (t > 0 ? expectedPurchasesWith(cachedPhaseExpectations(params, t), params, s) : 0),
  /** P(alive | x, tₓ, T) = S / (S + a/(b+x) · ((α+T)/(α+tₓ))^R): BTYDplus xbgcnbd.PAlive. */
  probabilityAlive: (params, s) => posteriorOf(params, s).probabilityAlive,
  /** E[X(t)] of a customer who has just made the first purchase: the conditional expectation at x = tₓ = T = 0. */
  expectedPurchasesUnconditional: (params, t) => (t > 0 ? expectedPurchasesWith(cachedPhaseExpectations(params, t), params, { frequency: 0, recency: 0, T: 0 }) : 0),
  /** L(x, tₓ, T + h) / L(x, tₓ, T): the litt factor cancels. */
  probabilityNoPurchase,
  medianWait,
  predictor(params, t, horizon) {
    const expectations = phaseExpectations(params, t);
    return (s) => {
      const posterior = posteriorOf(params, s);
      return {
        expectedPurchases: t > 0 ? expectedPurchasesWith(expectations, params, s, posterior) : 0,
        probabilityAlive: posterior.probabilityAlive,
        probabilityNoPurchase: probabilityNoPurchase(params, s, horizon),
      };
    };
  },
};
