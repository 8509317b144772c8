import { logBeta } from "./log-gamma.js";

/** A point estimate with its 95 % confidence interval. */
export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

/** The standard normal's 97.5th percentile: the z of a two-sided 95 % interval. */
export const Z_95 = 1.959963984540054;

/** Wilson's score interval for a proportion (Wilson 1927; Newcombe 1998, method 3). */
export function wilsonInterval(successes: number, n: number, z: number = Z_95): Interval {
  if (n <= 0) throw new RangeError("a proportion needs at least one trial");
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * The difference of two independent proportions p₁ − p₂ with Newcombe's hybrid score interval
 * (Newcombe 1998, "Interval estimation for the difference between independent proportions",
 * Statistics in Medicine 17, method 10): Wilson limits of each proportion combined as
 * L = d − √((p₁−l₁)² + (u₂−p₂)²), U = d + √((u₁−p₁)² + (p₂−l₂)²). Unlike Wald's it stays inside
 * [−1, 1] and keeps its coverage with few conversions.
 */
export function newcombeDifference(successes1: number, n1: number, successes2: number, n2: number, z: number = Z_95): Interval {
  const a = wilsonInterval(successes1, n1, z);
  const b = wilsonInterval(successes2, n2, z);
  const d = a.estimate - b.estimate;
  return {
    estimate: d,
    low: d - Math.sqrt((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2),
    high: d + Math.sqrt((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2),
  };
}

/** A sample's size, mean and unbiased variance, from its sum and sum of squares. */
export interface SampleMoments {
  n: number;
  sum: number;
  sumOfSquares: number;
}

/**
 * The difference of two means with Welch's t interval (Welch 1947): standard error
 * √(s₁²/n₁ + s₂²/n₂) and the Welch–Satterthwaite degrees of freedom. Needs two values in each sample.
 */
export function welchDifference(x: SampleMoments, y: SampleMoments, level = 0.95): Interval {
  if (x.n < 2 || y.n < 2) throw new RangeError("Welch's interval needs at least two values in each sample");
  const mean = (s: SampleMoments) => s.sum / s.n;
  // Clamped: rounding can make a variance of equal values slightly negative.
  const variance = (s: SampleMoments) => Math.max(0, (s.sumOfSquares - (s.sum * s.sum) / s.n) / (s.n - 1));
  const d = mean(x) - mean(y);
  const vx = variance(x) / x.n;
  const vy = variance(y) / y.n;
  const se = Math.sqrt(vx + vy);
  if (se === 0) return { estimate: d, low: d, high: d };
  const df = (vx + vy) ** 2 / (vx ** 2 / (x.n - 1) + vy ** 2 / (y.n - 1));
  const t = studentTQuantile(1 - (1 - level) / 2, df);
  return { estimate: d, low: d - t * se, high: d + t * se };
}

/**
 * Regularized incomplete beta I_x(a, b) by its continued fraction, evaluated with the modified
 * Lentz method (Press et al., Numerical Recipes, 3rd ed., §6.4, eq. 6.4.5).
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // The fraction converges fast for x < (a+1)/(a+b+2); otherwise use I_x(a,b) = 1 − I_{1−x}(b,a).
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedIncompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logBeta(a, b)) / a;
  const TINY = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = i >> 1;
    const numerator = i === 0 ? 1 : i % 2 === 0 ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)) : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + numerator * d;
    d = Math.abs(d) < TINY ? TINY : d;
    d = 1 / d;
    c = 1 + numerator / c;
    c = Math.abs(c) < TINY ? TINY : c;
    const step = c * d;
    f *= step;
    if (Math.abs(1 - step) < 1e-15) break;
  }
  return front * (f - 1);
}

/** Student's t distribution function with `df` degrees of freedom (any positive real). */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Student's t quantile, by bisection on the distribution function (to 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError("a quantile needs 0 < p < 1");
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let low = 0;
  let high = 1;
  while (studentTCdf(high, df) < p) high *= 2;
  while (high - low > 1e-12 * Math.max(1, high)) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}
