import type { CustomerSummary } from "../../functions/domain/clv/customer-summary.js";
import type { BgNbdParams } from "../../functions/domain/clv/bg-nbd.js";
import type { GammaGammaParams } from "../../functions/domain/clv/gamma-gamma.js";

/** Seeded uniform random numbers in (0, 1) (mulberry32), so simulated stores are the same every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

export function standardNormal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, rate) by Marsaglia & Tsang (2000), with the shape < 1 boost. */
export function gammaSample(random: () => number, shape: number, rate: number): number {
  if (shape < 1) return gammaSample(random, shape + 1, rate) * Math.pow(random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

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
