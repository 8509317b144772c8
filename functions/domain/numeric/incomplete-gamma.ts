import { logGamma } from "./log-gamma.js";

/**
 * log Q(a, x), the regularized upper incomplete gamma function Γ(a, x)/Γ(a): the probability that a
 * Gamma(a, 1) variable exceeds x, so a Gamma(shape a, rate ν) survival function at y is Q(a, ν·y).
 * In log space because Pareto/GGG needs it far out in the tail (a regular buyer long overdue).
 * For x < a + 1 the series of P = 1 − Q (DLMF 8.7.1, A&S 6.5.29), otherwise the continued fraction
 * of Q (DLMF 8.9.2, A&S 6.5.31) by the modified Lentz method; both to a relative 1e-15.
 */
export function logUpperGammaRegularized(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 0;
  if (x === Infinity) return -Infinity;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    // P(a, x) = x^a e^−x / Γ(a + 1) · Σₙ xⁿ / ((a+1)…(a+n)).
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * 1e-16) break;
    }
    const p = Math.exp(logPrefix + Math.log(sum));
    return Math.log1p(-Math.min(p, 1));
  }
  // Q(a, x) = x^a e^−x / Γ(a) · 1/(x + 1 − a − 1·(1 − a)/(x + 3 − a − 2·(2 − a)/(x + 5 − a − …))).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let n = 1; n < 10_000; n++) {
    const an = -n * (n - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return logPrefix + Math.log(h);
}

/** log of the Gamma(shape, rate) density at y > 0. */
export function logGammaDensity(shape: number, rate: number, y: number): number {
  return shape * Math.log(rate) + (shape - 1) * Math.log(y) - rate * y - logGamma(shape);
}
