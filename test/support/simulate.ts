import type { CustomerSummary } from "../../functions/domain/clv/customer-summary.js";
import type { BgNbdParams } from "../../functions/domain/clv/bg-nbd.js";
import type { GammaGammaParams } from "../../functions/domain/clv/gamma-gamma.js";

import { gammaSample, seededRandom, standardNormal } from "../../functions/domain/numeric/random.js";

// The seeded generator and the gamma sampler live in the domain, where Pareto/GGG samples with them.
export { gammaSample, seededRandom, standardNormal };

export function betaSample(random: () => number, a: number, b: number): number {
  const x = gammaSample(random, a, 1);
  return x / (x + gammaSample(random, b, 1));
}

export interface SimulatedCustomer {
  summary: CustomerSummary;
  /** Purchase times after T, up to T + horizon (for checking forecasts). */
  futurePurchases: number[];
}

/**
 * Customers drawn from the BG/NBD story (Fader, Hardie & Lee 2005 §2), observed for T time units since
 * their first purchase; with `spend`, each repeat purchase's value is Gamma(p, ν), ν ~ Gamma(q, γ).
 * With `roundTo` times are floored to that grid and purchases on one grid point merge, as days do.
 * The summary carries Σ log(time between purchases), litt.
 */
export function simulateBgNbd(
  params: BgNbdParams,
  count: number,
  options: { seed: number; T: (random: () => number) => number; spend?: GammaGammaParams; horizon?: number; roundTo?: number },
): SimulatedCustomer[] {
  const random = seededRandom(options.seed);
  const horizon = options.horizon ?? 0;
  const customers: SimulatedCustomer[] = [];
  for (let i = 0; i < count; i++) {
    const T = options.T(random);
    const lambda = gammaSample(random, params.r, params.alpha);
    const p = betaSample(random, params.a, params.b);
    const nu = options.spend ? gammaSample(random, options.spend.q, options.spend.gamma) : 0;
    let t = 0;
    let x = 0;
    let tx = 0;
    let spent = 0;
    let lastGrid = 0;
    let litt = 0;
    const futurePurchases: number[] = [];
    for (;;) {
      t += -Math.log(random()) / lambda;
      if (t > T + horizon) break;
      if (t > T) futurePurchases.push(t);
      else {
        const grid = options.roundTo ? Math.floor(t / options.roundTo) * options.roundTo : t;
        if (grid !== lastGrid || !options.roundTo) {
          x++;
          litt += Math.log(grid - tx);
          tx = grid;
          lastGrid = grid;
          if (options.spend) spent += gammaSample(random, options.spend.p, nu);
        }
      }
      if (random() < p) break; // dropout after each repeat purchase
    }
    const roundedT = options.roundTo ? Math.floor(T / options.roundTo) * options.roundTo : T;
    customers.push({ summary: { frequency: x, recency: tx, T: roundedT, monetaryValue: x > 0 ? spent / x : 0, logInterPurchaseTimes: litt }, futurePurchases });
  }
  return customers;
}

export interface SimulatedRegularCustomer extends SimulatedCustomer {
  /** Whether the customer had not dropped out by T. */
  aliveAtT: boolean;
}

/**
 * Customers drawn from the MBG/CNBD-k story (Platzer & Reutterer 2016 §2; BTYDplus mbgcnbd.GenerateData):
 * λ ~ Gamma(r, α), p ~ Beta(a, b); the customer may drop out right after the first purchase (time 0)
 * and after each repeat one, with probability p; the times between purchases are Erlang-k(λ).
 * The summary carries logInterPurchaseTimes (litt).
 */
export function simulateMbgCnbdK(
  params: BgNbdParams & { k: number },
  count: number,
  options: { seed: number; T: (random: () => number) => number; horizon?: number },
): SimulatedRegularCustomer[] {
  const random = seededRandom(options.seed);
  const horizon = options.horizon ?? 0;
  const customers: SimulatedRegularCustomer[] = [];
  for (let i = 0; i < count; i++) {
    const T = options.T(random);
    const lambda = gammaSample(random, params.r, params.alpha);
    const p = betaSample(random, params.a, params.b);
    let t = 0;
    let x = 0;
    let tx = 0;
    let litt = 0;
    let diedAt = random() < p ? 0 : Infinity;
    const futurePurchases: number[] = [];
    while (diedAt === Infinity) {
      let wait = 0;
      for (let e = 0; e < params.k; e++) wait += -Math.log(random()) / lambda;
      if (t + wait > T + horizon) break;
      t += wait;
      if (t > T) futurePurchases.push(t);
      else {
        x++;
        tx = t;
        litt += Math.log(wait);
      }
      if (random() < p) diedAt = t;
    }
    customers.push({ summary: { frequency: x, recency: tx, T, logInterPurchaseTimes: litt }, futurePurchases, aliveAtT: !(diedAt <= T) });
  }
  return customers;
}

/**
 * Customers drawn from the Pareto/GGG story (Platzer & Reutterer 2016 §3; BTYDplus pggg.GenerateData):
 * k ~ Gamma(t, γ) (at least 0.1, as BTYDplus keeps it), λ ~ Gamma(r, α), μ ~ Gamma(s, β), lifetime
 * τ ~ Exponential(μ); times between purchases Gamma(k, kλ) while alive. The summary carries litt.
 */
export function simulateParetoGgg(
  params: { t: number; gamma: number; r: number; alpha: number; s: number; beta: number },
  count: number,
  options: { seed: number; T: (random: () => number) => number; horizon?: number },
): (SimulatedCustomer & { aliveAtT: boolean; k: number })[] {
  const random = seededRandom(options.seed);
  const horizon = options.horizon ?? 0;
  const customers: (SimulatedCustomer & { aliveAtT: boolean; k: number })[] = [];
  for (let i = 0; i < count; i++) {
    const T = options.T(random);
    const k = Math.max(0.1, gammaSample(random, params.t, params.gamma));
    const lambda = gammaSample(random, params.r, params.alpha);
    const mu = gammaSample(random, params.s, params.beta);
    const tau = -Math.log(random()) / mu;
    let t = 0;
    let x = 0;
    let tx = 0;
    let litt = 0;
    const futurePurchases: number[] = [];
    for (;;) {
      const wait = gammaSample(random, k, k * lambda);
      t += wait;
      if (t > tau || t > T + horizon) break;
      if (t > T) futurePurchases.push(t);
      else {
        x++;
        tx = t;
        litt += Math.log(wait);
      }
    }
    customers.push({ summary: { frequency: x, recency: tx, T, logInterPurchaseTimes: litt }, futurePurchases, aliveAtT: tau > T, k });
  }
  return customers;
}
