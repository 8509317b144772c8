import { logAddExp } from "../numeric/log-gamma.js";
import { betaGeometricLikelihood, type BetaGeometricParams } from "./beta-geometric-likelihood.js";
import { logHyp2f1 } from "../numeric/hypergeometric.js";
import { lomaxMixtureMedian } from "./next-purchase.js";
import type { CustomerSummary } from "./customer-summary.js";
import { probabilityNoPurchaseByLikelihoodRatio, type ParameterLimit, type PurchaseModel, type PurchaseModelName } from "./purchase-model.js";

/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way") and MBG/NBD
 * (Batislam, Denizel & Filiztekin 2007). Both: purchases at Poisson rate λ ~ Gamma(r, α) while
 * alive; after each repeat purchase the customer drops out with probability p ~ Beta(a, b).
 * MBG/NBD also lets the customer drop out right after the first purchase, so a one-time buyer is not
 * certain to be alive. Every formula below is written once with k = 0 (BG/NBD) or k = 1 (MBG/NBD):
 * the dropout chances a customer with x repeats has had are x + k.
 */
export type BgNbdParams = BetaGeometricParams;

function betaGeometricNbd(name: PurchaseModelName, k: 0 | 1): PurchaseModel<BgNbdParams> {
  /** Whether a customer with x repeats may already have dropped out (the likelihood's second term). */
  const mayHaveDroppedOut = (x: number) => x > 0 || k === 1;

  /** Per-customer log-likelihood and its table sum: FHL (2005) eq. 6; Batislam et al. (2007) eq. 8 for k = 1 (beta-geometric-likelihood.ts). */
  const { logLikelihood, tableLogLikelihood } = betaGeometricLikelihood(1, k);

  /** log of δ · a/(b+x−1+k) · ((α+T)/(α+tₓ))^(r+x), the odds of having dropped out versus being alive. */
  function logOddsDroppedOut({ r, alpha, a, b }: BgNbdParams, { frequency: x, recency: tx, T }: CustomerSummary): number {
    if (!mayHaveDroppedOut(x)) return -Infinity;
    return Math.log(a) - Math.log(b + x - 1 + k) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
  }

  /**
   * E[Y(t) | x, tₓ, T]: FHL (2005) eq. 10; Batislam et al. (2007) eq. 13 for k = 1.
   * (a+b+x−1+k)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x+k; a+b+x−1+k; t/(α+T+t))] / (1 + odds)
   */
  function expectedPurchases(params: BgNbdParams, s: CustomerSummary, t: number): number {
    if (t <= 0) return 0;
    const { r, alpha, a, b } = params;
    const x = s.frequency;
    const z = t / (alpha + s.T + t);
    const logTail = (r + x) * Math.log((alpha + s.T) / (alpha + s.T + t)) + logHyp2f1(r + x, b + x + k, a + b + x - 1 + k, z);
    // 1 − tail changes sign with a − 1; -expm1 keeps precision when the tail is close to 1.
    const bracket = -Math.expm1(logTail);
    const value = ((a + b + x - 1 + k) / (a - 1)) * bracket;
    const odds = Math.exp(logOddsDroppedOut(params, s));
    return Math.max(0, value / (1 + odds));
  }

  /**
   * Predictions for many contacts: eq. 10's ₂F₁ term depends on x and T only, so it is computed once
   * per (x, T) — a few thousand pairs for a million contacts at daily resolution — and P(no purchase)
   * is the likelihood ratio with the terms that cancel left out.
   */
  function predictor(params: BgNbdParams, t: number, horizon: number) {
    const { r, alpha, a, b } = params;
    const bracketByFrequency = new Map<number, Map<number, number>>();
    return (s: CustomerSummary) => {
      const x = s.frequency;
      let byT = bracketByFrequency.get(x);
      if (!byT) bracketByFrequency.set(x, (byT = new Map()));
      let bracket = byT.get(s.T);
      if (bracket === undefined) {
        const z = t / (alpha + s.T + t);
        const logTail = (r + x) * Math.log((alpha + s.T) / (alpha + s.T + t)) + logHyp2f1(r + x, b + x + k, a + b + x - 1 + k, z);
        bracket = t > 0 ? ((a + b + x - 1 + k) / (a - 1)) * -Math.expm1(logTail) : 0;
        byT.set(s.T, bracket);
      }
      const logOdds = logOddsDroppedOut(params, s);
      const odds = Math.exp(logOdds);
      const alive = -(r + x) * Math.log(alpha + s.T);
      const aliveLater = -(r + x) * Math.log(alpha + s.T + horizon);
      // log L(T + h) − log L(T): the dropped-out term is alive + logOdds and does not move with T.
      const dropped = alive + logOdds;
      const noPurchase = horizon > 0 ? Math.exp(logAddExp(aliveLater, dropped) - logAddExp(alive, dropped)) : 1;
      return {
        expectedPurchases: Math.max(0, bracket / (1 + odds)),
        probabilityAlive: 1 / (1 + odds),
        probabilityNoPurchase: Math.min(1, Math.max(0, noPurchase)),
      };
    };
  }

  return {
    name,
    predictor,
    limits: dropoutLimits,
    parameterNames: ["r", "alpha", "a", "b"],
    starts: [
      [1, 1, 1, 1],
      [0.5, 5, 0.8, 2.5],
      [0.25, 20, 0.5, 5],
      [2, 50, 2, 10],
    ],
    hasGradient: true,
    logLikelihood,
    tableLogLikelihood,
    expectedPurchases,
    /** P(alive | x, tₓ, T) = 1 / (1 + odds): Fader, Hardie & Lee (2008) note, eq. 2; Batislam et al. (2007) eq. 12. */
    probabilityAlive: (params, s) => 1 / (1 + Math.exp(logOddsDroppedOut(params, s))),
    /** E[X(t)] for a customer who has just made the first purchase: the conditional expectation at x = tₓ = T = 0 (FHL 2005 eq. 9). */
    expectedPurchasesUnconditional: (params, t) => expectedPurchases(params, { frequency: 0, recency: 0, T: 0 }, t),
    probabilityNoPurchase: (params, s, horizon) => probabilityNoPurchaseByLikelihoodRatio(logLikelihood, params, s, horizon),
    medianWait: (params, s) =>
      lomaxMixtureMedian({ shape: params.r + s.frequency, scale: params.alpha + s.T }, 1 / (1 + Math.exp(logOddsDroppedOut(params, s)))),
  };
}

/** Where BG/NBD and MBG/NBD become simpler models: p ~ Beta(a, b) has mean a/(a+b), λ ~ Gamma(r, α) mean r/α. */
export const dropoutLimits: readonly ParameterLimit[] = [
  { parameters: ["a"], toward: "0", reducesTo: "NBD: no dropout seen", noDropout: true },
  { parameters: ["b"], toward: "∞", reducesTo: "NBD: no dropout seen", noDropout: true },
  { parameters: ["a", "b"], toward: "∞", reducesTo: "one dropout probability a/(a+b) shared by every customer" },
  { parameters: ["r", "alpha"], toward: "∞", reducesTo: "one purchase rate r/α shared by every customer (Poisson)" },
];

export const bgNbd = betaGeometricNbd("bg-nbd", 0);
export const mbgNbd = betaGeometricNbd("mbg-nbd", 1);
