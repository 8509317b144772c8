import { digamma, logAddExp, logGamma, logGammaRatio } from "../numeric/log-gamma.js";
import { tableIndex, type CustomerSummary, type SummaryTable } from "./customer-summary.js";

/** λ ~ Gamma(r, α) and the dropout probability p ~ Beta(a, b) of the beta-geometric family. */
export type BetaGeometricParams = {
  r: number;
  alpha: number;
  a: number;
  b: number;
};

/**
 * The phase sum of a live customer: after the last purchase at tₓ the Poisson process has made
 * j ∈ {0, …, k−1} of the k events the next purchase needs, and with λ integrated out the weight of j
 * relative to j = 0 is (R)_j · u^j / j!, R = r + k·x, u = (T − tₓ)/(α + T) (BTYDplus xbgcnbd.LL's S2).
 * Fills `terms` (when given) with each j's weight and returns their sum; 1 for k = 1.
 */
export function phaseTerms(k: number, R: number, u: number, terms?: Float64Array): number {
  let term = 1;
  let sum = 1;
  if (terms) terms[0] = 1;
  for (let j = 1; j < k; j++) {
    term *= ((R + j - 1) * u) / j;
    if (terms) terms[j] = term;
    sum += term;
  }
  return sum;
}

/**
 * log B(a, b + m) − log B(a, b) = [log Γ(b + m) − log Γ(b)] − [log Γ(a + b + m) − log Γ(a + b)]: the
 * chance of surviving m dropout chances. Taken as two log Γ ratios, as b runs off toward ∞ (no dropout)
 * it stays accurate where the four log Γ would cancel to noise (logGammaRatio).
 */
function logBetaRatio(a: number, b: number, m: number): number {
  return logGammaRatio(b, m) - logGammaRatio(a + b, m);
}

/**
 * The likelihood of the beta-geometric purchase models, written once: purchases every k-th event of a
 * Poisson process of rate λ while alive (k = 1: BG/NBD and MBG/NBD; k > 1: (M)BG/CNBD-k), dropout with
 * probability p after each repeat purchase and, with `dropoutAtZero` = 1 (the M of MBG), after the first.
 * Per contact (Fader, Hardie & Lee 2005 eq. 6; Batislam et al. 2007 eq. 8; Platzer & Reutterer 2016 eq. 7),
 * with R = r + k·x and d = dropoutAtZero, leaving out the litt factor of k > 1 (mbg-cnbd-k.ts):
 *   L = B(a, b+x+d)/B(a, b) · Γ(R) αʳ / Γ(r) · [ (α+T)^−R · S  +  δ · a/(b+x−1+d) · (α+tₓ)^−R ],
 * S the phase sum (phaseTerms), δ = 1 when the customer may have dropped out (x > 0 or d = 1).
 */
export function betaGeometricLikelihood(k: number, dropoutAtZero: 0 | 1) {
  const d = dropoutAtZero;
  /** Whether a customer with x repeats may already have dropped out (the likelihood's second term). */
  const mayHaveDroppedOut = (x: number) => x > 0 || d === 1;

  function logLikelihood({ r, alpha, a, b }: BetaGeometricParams, { frequency: x, recency: tx, T }: CustomerSummary): number {
    const R = r + k * x;
    const common = logBetaRatio(a, b, x + d) + logGamma(R) - logGamma(r) + r * Math.log(alpha);
    const alive = -R * Math.log(alpha + T) + (k > 1 ? Math.log(phaseTerms(k, R, (T - tx) / (alpha + T))) : 0);
    if (!mayHaveDroppedOut(x)) return common + alive;
    const droppedOut = Math.log(a) - Math.log(b + x - 1 + d) - R * Math.log(alpha + tx);
    return common + logAddExp(alive, droppedOut);
  }

  /** Σ weight · logLikelihood and its analytic gradient, with every term of x, T or tₓ alone computed once per distinct value. */
  function tableLogLikelihood(theta: Float64Array, table: SummaryTable, gradient: Float64Array | null): number {
    const r = theta[0]!;
    const alpha = theta[1]!;
    const a = theta[2]!;
    const b = theta[3]!;
    const index = tableIndex(table);
    const nx = index.frequencies.length;
    const common = new Float64Array(nx);
    const logDropWeight = new Float64Array(nx);
    const dCommonDr = new Float64Array(nx);
    const dCommonDa = new Float64Array(nx);
    const dCommonDb = new Float64Array(nx);
    const logAlpha = Math.log(alpha);
    const lgR = logGamma(r);
    const psiR = digamma(r);
    const psiAB = digamma(a + b);
    const psiB = digamma(b);
    for (let j = 0; j < nx; j++) {
      const x = index.frequencies[j]!;
      const R = r + k * x;
      common[j] = logGamma(R) - lgR + r * logAlpha + logBetaRatio(a, b, x + d);
      logDropWeight[j] = mayHaveDroppedOut(x) ? Math.log(a) - Math.log(b + x - 1 + d) : -Infinity;
      if (gradient) {
        dCommonDr[j] = digamma(R) - psiR + logAlpha;
        const psiABX = digamma(a + b + x + d);
        dCommonDa[j] = psiAB - psiABX;
        dCommonDb[j] = digamma(b + x + d) - psiABX - psiB + psiAB;
      }
    }
    const logAlphaT = index.Ts.map((T) => Math.log(alpha + T));
    const logAlphaTx = index.recencies.map((tx) => Math.log(alpha + tx));
    let total = 0;
    let gr = 0;
    let gAlpha = 0;
    let ga = 0;
    let gb = 0;
    const { frequency, weight, recency, T } = table;
    for (let i = 0; i < table.length; i++) {
      const j = index.frequencyOf[i]!;
      const x = frequency[i]!;
      const w = weight[i]!;
      const R = r + k * x;
      const lT = logAlphaT[index.TOf[i]!]!;
      const lTx = logAlphaTx[index.recencyOf[i]!]!;
      // The phase sum S and, for the gradient, Σ ∂term/∂R and Σ j·term (u's share of ∂/∂α); S = 1 for k = 1.
      let S = 1;
      let dSdR = 0;
      let jTerms = 0;
      if (k > 1) {
        const u = (T[i]! - recency[i]!) / (alpha + T[i]!);
        let term = 1;
        let harmonic = 0;
        for (let p = 1; p < k; p++) {
          harmonic += 1 / (R + p - 1);
          term *= ((R + p - 1) * u) / p;
          S += term;
          dSdR += term * harmonic;
          jTerms += p * term;
        }
      }
      const alive = -R * lT + (k > 1 ? Math.log(S) : 0);
      const dropped = logDropWeight[j]! - R * lTx;
      let mix: number;
      let shareDropped: number;
      if (dropped === -Infinity) {
        mix = alive;
        shareDropped = 0;
      } else if (alive >= dropped) {
        const e = Math.exp(dropped - alive);
        mix = alive + Math.log1p(e);
        shareDropped = e / (1 + e);
      } else {
        const e = Math.exp(alive - dropped);
        mix = dropped + Math.log1p(e);
        shareDropped = 1 / (1 + e);
      }
      total += w * (common[j]! + mix);
      if (gradient) {
        const shareAlive = 1 - shareDropped;
        const alphaT = alpha + T[i]!;
        gr += w * (dCommonDr[j]! + shareAlive * (dSdR / S - lT) - shareDropped * lTx);
        gAlpha += w * (r / alpha - shareAlive * (R + jTerms / S) / alphaT - shareDropped * (R / (alpha + recency[i]!)));
        ga += w * (dCommonDa[j]! + shareDropped / a);
        // A customer who cannot have dropped out has no dropout term (and b + x − 1 may be 0 there).
        gb += w * (dCommonDb[j]! - (shareDropped > 0 ? shareDropped / (b + x - 1 + d) : 0));
      }
    }
    if (gradient) {
      gradient[0] = gr;
      gradient[1] = gAlpha;
      gradient[2] = ga;
      gradient[3] = gb;
    }
    return total;
  }

  return { logLikelihood, tableLogLikelihood };
}
