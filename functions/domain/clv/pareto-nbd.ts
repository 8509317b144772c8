import { gaussLaguerre } from "../numeric/gauss-laguerre.js";
import { logHyp2f1Complement } from "../numeric/hypergeometric.js";
import { digamma, logAddExp, logGamma, logSubExp } from "../numeric/log-gamma.js";
import { tableIndex, type CustomerSummary, type SummaryTable } from "./customer-summary.js";
import { probabilityNoPurchaseByLikelihoodRatio, type ParameterLimit, type PurchaseModel } from "./purchase-model.js";

/**
 * Pareto/NBD (Schmittlein, Morrison & Colombo 1987) as written out by Fader & Hardie (2005), "A note
 * on deriving the Pareto/NBD model and related expressions": while alive a customer buys at Poisson
 * rate λ ~ Gamma(r, α); the lifetime is exponential with rate μ ~ Gamma(s, β).
 * A type alias rather than an interface, so it satisfies ModelParams' string index signature.
 */
export type ParetoNbdParams = { r: number; alpha: number; s: number; beta: number };

/*
 * The likelihood (note, eq. 22):
 *   L = Γ(r+x) αʳ βˢ / Γ(r) · [ (α+T)^−(r+x) (β+T)^−s  +  s/(r+s+x) · A₀ ],
 * the first bracket term for a customer still alive at T, the second for one who died unseen in
 * (tₓ, T]. With a = r+s+x and, for α ≥ β,
 *   G(y) = 2F1(a, s+1; a+1; (α−β)/(α+y)) / (α+y)^a
 * (for α < β: α ↔ β and 2F1(a, r+x; a+1; (β−α)/(β+y))), A₀ = G(tₓ) − G(T). The branch keeps the 2F1
 * argument in [0, 1); at α = β it is 0 and both branches reduce to (α+tₓ)^−a − (α+T)^−a.
 * G(y) = a ∫_y^∞ (α+u)^−(r+x) (β+u)^−(s+1) du is decreasing, so A₀ ≥ 0; it is taken in log space,
 * log A₀ = logSubExp(log G(tₓ), log G(T)), because 2F1 and the powers leave a double's range for large x.
 */

/**
 * log G(y) for 2F1 shape a = r+s+x, second parameter b and the larger and smaller rates; 2F1 gets
 * 1 − z = (bottom + y)/(top + y) exactly, since z itself rounds to 1 when bottom ≪ top.
 */
function logTail(a: number, b: number, top: number, bottom: number, y: number): number {
  return logPhiComplement(a, b, (bottom + y) / (top + y)) - a * Math.log(top + y);
}

/** log of the bracket's "died in (tₓ, T]" term, log(s/(r+s+x)) + log A₀; −∞ when tₓ = T. */
function logDiedTerm({ r, alpha, s, beta }: ParetoNbdParams, x: number, tx: number, T: number): number {
  if (!(T > tx)) return -Infinity;
  const a = r + s + x;
  const alphaAbove = alpha >= beta;
  const top = alphaAbove ? alpha : beta;
  const bottom = alphaAbove ? beta : alpha;
  const b = alphaAbove ? s + 1 : r + x;
  const atTx = logTail(a, b, top, bottom, tx);
  const atT = logTail(a, b, top, bottom, T);
  if (!(atTx > atT)) return -Infinity;
  return Math.log(s / a) + logSubExp(atTx, atT);
}

/** log of the bracket's "alive at T" term, −(r+x) log(α+T) − s log(β+T). */
function logAliveTerm({ r, alpha, s, beta }: ParetoNbdParams, x: number, T: number): number {
  return -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
}

/** Per-customer log-likelihood, note eq. 22 in log space. */
function logLikelihood(params: ParetoNbdParams, { frequency: x, recency: tx, T }: CustomerSummary): number {
  const { r, alpha, s, beta } = params;
  const common = logGamma(r + x) - logGamma(r) + r * Math.log(alpha) + s * Math.log(beta);
  return common + logAddExp(logAliveTerm(params, x, T), logDiedTerm(params, x, tx, T));
}

/**
 * P(alive at T | x, tₓ, T) (note, eq. 18): the alive term's share of the bracket,
 * 1 / (1 + s/(r+s+x) · A₀ · (α+T)^(r+x) (β+T)^s).
 */
function probabilityAlive(params: ParetoNbdParams, { frequency: x, recency: tx, T }: CustomerSummary): number {
  const logOdds = logDiedTerm(params, x, tx, T) - logAliveTerm(params, x, T);
  return 1 / (1 + Math.exp(logOdds));
}

/**
 * (1 − (b/(b+t))^(s−1)) / (s−1) = −expm1(−(s−1)·log(1 + t/b)) / (s−1), which tends to log(1 + t/b) as
 * s → 1; expm1 keeps it exact near s = 1, where the ratio form would cancel.
 */
function lifetimeFactor(s: number, b: number, t: number): number {
  const logGrowth = Math.log1p(t / b);
  const e = (s - 1) * logGrowth;
  return e === 0 ? logGrowth : (-Math.expm1(-e) / e) * logGrowth;
}

/**
 * E[X(T, T+t) | x, tₓ, T] (note, eq. 41; Schmittlein et al. 1987):
 * P(alive) · (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)].
 */
function expectedPurchases(params: ParetoNbdParams, summary: CustomerSummary, t: number): number {
  if (!(t > 0)) return 0;
  const { r, alpha, s, beta } = params;
  const { frequency: x, T } = summary;
  return probabilityAlive(params, summary) * ((r + x) / (alpha + T)) * (beta + T) * lifetimeFactor(s, beta + T, t);
}

/** E[X(t)] = rβ / (α(s−1)) · [1 − (β/(β+t))^(s−1)], the mean of X(t) (Schmittlein et al. 1987; derived again in the note). */
function expectedPurchasesUnconditional({ r, alpha, s, beta }: ParetoNbdParams, t: number): number {
  if (!(t > 0)) return 0;
  return (r / alpha) * beta * lifetimeFactor(s, beta, t);
}

/**
 * Largest 2F1 argument for which the table likelihood sums its own series (it needs ~40/(1 − z)
 * terms). Beyond it — min(α, β) + y below 0.5% of max(α, β), which line searches do visit — log Φ comes
 * from logPhiComplement (the connection formula at z = 1, else logHyp2f1Complement), its derivatives in
 * a and b from central differences of that (relative error ~1e-9) and the one in z from the exact 2F1 formula.
 */
const SERIES_LIMIT = 0.995;
/** ∂ log Φ/∂a, ∂ log Φ/∂b and ∂ log Φ/∂z after a call of logPhi with slopes. */
let slopeA = 0;
let slopeB = 0;
let slopeZ = 0;

/**
 * log Φ for Φ = 2F1(a, b; a+1; z) with z = 1 − w close to 1, by the connection formula around z = 1
 * (A&S 15.3.6, DLMF 15.8.4), which for c = a + 1 collapses to two terms (2F1(a, b; b; w) = (1 − w)^−a and
 * Γ(a+1)Γ(b−1)/(Γ(a)Γ(b)) = a/(b − 1)):
 *   Φ = Γ(a+1)Γ(1−b)/Γ(a+1−b) · (1 − w)^−a  +  a/(b − 1) · w^(1−b) · 2F1(1, a+1−b; 2−b; w),
 * the last series ~1 + O(w). A few operations where continuation takes thousands; it fails where b
 * is near a whole number (Γ(1 − b) and a/(b − 1) blow up and cancel) or the two terms cancel, and
 * then gives NaN for the caller to fall back to logHyp2f1Complement. Here a + 1 − b is s + 1 or r + x, > 0.
 */
export function logPhiNearOne(a: number, b: number, w: number): number {
  if (!(w > 0 && w < 0.05) || Math.abs(b - Math.round(b)) < 0.02) return Number.NaN;
  const oneMinusB = 1 - b;
  // sign of Γ(1 − b): positive above 0, (−1)^⌈b − 1⌉ below.
  const signGamma = oneMinusB > 0 ? 1 : Math.ceil(-oneMinusB) % 2 === 1 ? -1 : 1;
  const logFirst = logGamma(a + 1) + logGamma(oneMinusB) - logGamma(a + 1 - b) - a * Math.log1p(-w);
  let term = 1;
  let series = 1;
  let absolute = 1;
  for (let n = 0; n < 500; n++) {
    term *= ((a + 1 - b + n) / (2 - b + n)) * w;
    series += term;
    absolute += Math.abs(term);
    if (Math.abs(term) < 1e-17 * Math.abs(series)) break;
  }
  if (!(absolute < 1e4 * Math.abs(series))) return Number.NaN;
  const signSecond = Math.sign(a / (b - 1)) * Math.sign(series);
  const logSecond = Math.log(Math.abs(a / (b - 1))) + oneMinusB * Math.log(w) + Math.log(Math.abs(series));
  const [big, small, signBig, signSmall] = logFirst >= logSecond ? [logFirst, logSecond, signGamma, signSecond] : [logSecond, logFirst, signSecond, signGamma];
  const ratio = signSmall * signBig * Math.exp(small - big);
  // Φ > 0; a sum that cancels to below 1e-3 of its larger term has lost too many digits.
  if (signBig < 0 || !(1 + ratio > 1e-3)) return Number.NaN;
  return big + Math.log1p(ratio);
}

/**
 * log 2F1(a, b; a+1; 1 − w) for w small: by Gauss–Laguerre where a·w is large (logPhiLaguerre), else the
 * connection formula where it holds, else continuation.
 */
function logPhiComplement(a: number, b: number, w: number): number {
  if (a * w >= LAGUERRE_FROM && b <= LAGUERRE_FROM * a * w) return logPhiLaguerre(a, b, w);
  const fast = logPhiNearOne(a, b, w);
  return Number.isNaN(fast) ? logHyp2f1Complement(a, b, a + 1, w) : fast;
}

/** The Gauss–Laguerre rule of logPhiLaguerre: 32 nodes, within 1e-9 where it is used (pareto-nbd.test.ts). */
const LAGUERRE = gaussLaguerre(32);
/**
 * logPhiLaguerre is used from a·w ≥ 2 with b ≤ 2·a·w. There the integrand below is smooth on the rule's
 * scale (its singularity is ~a·w to the left of 0, its power b is not steep against that distance); it is
 * where the connection formula's two terms, each of order e^(a·w), cancel, and continuation took thousands
 * of terms: Pareto/NBD near its Poisson limit (r, α → ∞ on daily data) spent seconds a pass there, or got NaN.
 */
const LAGUERRE_FROM = 2;

/**
 * log Φ, Φ = 2F1(a, b; a+1; 1 − w) = a ∫₀¹ t^(a−1) (1 − (1−w)t)^−b dt (DLMF 15.6.1), with t = e^(−u/a):
 *   Φ = ∫₀^∞ e^−u (1 − e^(−u/a) + w e^(−u/a))^−b du,
 * summed by Gauss–Laguerre in log space; the base is −expm1(−u/a) + w e^(−u/a), exact for small u/a.
 */
export function logPhiLaguerre(a: number, b: number, w: number): number {
  const { nodes, weights } = LAGUERRE;
  let top = -Infinity;
  const terms = laguerreTerms;
  for (let i = 0; i < nodes.length; i++) {
    const v = nodes[i]! / a;
    const decay = Math.exp(-v);
    terms[i] = Math.log(weights[i]!) - b * Math.log(-Math.expm1(-v) + w * decay);
    if (terms[i]! > top) top = terms[i]!;
  }
  let sum = 0;
  for (let i = 0; i < nodes.length; i++) sum += Math.exp(terms[i]! - top);
  return top + Math.log(sum);
}
const laguerreTerms = new Float64Array(LAGUERRE.nodes.length);

/**
 * log Φ for Φ = 2F1(a, b; a+1; z), 0 ≤ z < 1, and with `withSlopes` its derivatives in a, b and z.
 * Up to SERIES_LIMIT through Euler's transformation (A&S 15.3.3): Φ = (1−z)^(1−b) Ψ with
 *   Ψ = 2F1(1, d; a+1; z) = Σₙ τₙ,  τₙ = Π_{k<n} (d+k)/(a+1+k) · z,  d = a + 1 − b > 0 (r+x or s+1),
 * so every term is positive and τₙ₊₁/τₙ < z; it is the series logHyp2f1 sums for these arguments, without
 * its generality. Each τₙ's log-derivatives are running sums, ∂/∂a = Σ_{k<n} 1/(d+k) − 1/(a+1+k) and
 * ∂/∂b = −Σ_{k<n} 1/(d+k). The tail after term n is at most τₙ z/(1−z) (values), with the extra factors
 * n + 1/(1−z) (z-derivative) and |∂ log τₙ| + 1/((1−z)(d+n)) (a and b).
 */
function logPhi(a: number, b: number, z: number, complement: number, withSlopes: boolean): number {
  if (z === 0) {
    slopeA = 0;
    slopeB = 0;
    slopeZ = (a * b) / (a + 1);
    return 0;
  }
  if (z > SERIES_LIMIT) {
    const w = complement;
    const value = logPhiComplement(a, b, w);
    if (withSlopes) {
      const da = 1e-4 * a;
      const db = 1e-4 * b;
      slopeA = (logPhiComplement(a + da, b, w) - logPhiComplement(a - da, b, w)) / (2 * da);
      slopeB = (logPhiComplement(a, b + db, w) - logPhiComplement(a, b - db, w)) / (2 * db);
      // dΦ/dz = ab/(a+1) · 2F1(a+1, b+1; a+2; z) (DLMF 15.5.1)
      slopeZ = ((a * b) / (a + 1)) * Math.exp(logPhiComplement(a + 1, b + 1, w) - value);
    }
    return value;
  }
  const d = a + 1 - b;
  const geometric = z / (1 - z);
  let term = 1;
  let sum = 1;
  let sumA = 0;
  let sumB = 0;
  let sumZ = 0;
  let logTermA = 0;
  let logTermB = 0;
  for (let n = 0; n < 100_000; n++) {
    const dn = d + n;
    const cn = a + 1 + n;
    if (!withSlopes) {
      term *= (dn / cn) * z;
      sum += term;
      if (term * geometric <= 1e-17 * sum) break;
      continue;
    }
    const inverse = 1 / (dn * cn);
    logTermA += b * inverse; // 1/(d+n) − 1/(a+1+n)
    logTermB -= cn * inverse; // −1/(d+n)
    term *= dn * dn * inverse * z;
    sum += term;
    sumA += term * logTermA;
    sumB += term * logTermB;
    sumZ += (n + 1) * term;
    if (term * geometric <= 1e-17 * sum) {
      const drift = geometric / ((1 - z) * (dn + 1));
      const tailA = term * (Math.abs(logTermA) * geometric + drift);
      const tailB = term * (Math.abs(logTermB) * geometric + drift);
      const tailZ = term * geometric * (n + 1 + 1 / (1 - z));
      if (tailA <= 1e-16 * sum && tailB <= 1e-16 * sum && tailZ <= 1e-16 * (sum + sumZ)) break;
    }
  }
  const logOneMinusZ = z < 0.5 ? Math.log1p(-z) : Math.log(complement);
  if (withSlopes) {
    slopeA = sumA / sum;
    slopeB = sumB / sum - logOneMinusZ;
    slopeZ = sumZ / (z * sum) - (1 - b) / (1 - z);
  }
  return (1 - b) * logOneMinusZ + Math.log(sum);
}

/**
 * The table's rows ordered by (x, T), so each (x, T) pair's terms are computed once where its run
 * starts, with T and tₓ as positions in one list of distinct times y: died(y) is the same function
 * whether y is a T or a tₓ, so it is computed once per (x, y).
 */
interface RowsByPair {
  readonly times: Float64Array;
  readonly frequency: Uint32Array;
  readonly T: Uint32Array;
  readonly recency: Uint32Array;
  readonly weight: Float64Array;
  /** T > tₓ: there was time to die unseen after the last purchase. */
  readonly diedUnseenPossible: Uint8Array;
}

const rowsByPair = new WeakMap<SummaryTable, RowsByPair>();

/** Built once per table: two stable counting sorts (by T, then by x), O(rows + distinct values). */
function rowsOrderedByPair(table: SummaryTable): RowsByPair {
  const known = rowsByPair.get(table);
  if (known) return known;
  const { frequencies, Ts, recencies, frequencyOf, TOf, recencyOf } = tableIndex(table);
  const position = new Map<number, number>();
  const times: number[] = [];
  const timeOf = (y: number) => {
    let at = position.get(y);
    if (at === undefined) {
      at = times.length;
      position.set(y, at);
      times.push(y);
    }
    return at;
  };
  const timeOfT = Uint32Array.from(Ts, timeOf);
  const timeOfRecency = Uint32Array.from(recencies, timeOf);
  const byT = countingOrder(Uint32Array.from({ length: table.length }, (_, i) => i), TOf, Ts.length);
  const order = countingOrder(byT, frequencyOf, frequencies.length);
  const rows: RowsByPair = {
    times: Float64Array.from(times),
    frequency: order.map((i) => frequencyOf[i]!),
    T: order.map((i) => timeOfT[TOf[i]!]!),
    recency: order.map((i) => timeOfRecency[recencyOf[i]!]!),
    weight: Float64Array.from(order, (i) => table.weight[i]!),
    diedUnseenPossible: Uint8Array.from(order, (i) => (table.T[i]! > table.recency[i]! ? 1 : 0)),
  };
  rowsByPair.set(table, rows);
  return rows;
}

/** `order` stably re-sorted by key[order[i]] ∈ [0, keys). */
function countingOrder(order: Uint32Array, key: Uint32Array, keys: number): Uint32Array {
  const start = new Uint32Array(keys + 1);
  for (const i of order) start[key[i]! + 1]!++;
  for (let k = 0; k < keys; k++) start[k + 1]! += start[k]!;
  const sorted = new Uint32Array(order.length);
  for (const i of order) sorted[start[key[i]!]!++] = i;
  return sorted;
}

/** What the rows need, computed once per distinct x or time. */
interface TableTerms {
  r: number;
  alpha: number;
  s: number;
  beta: number;
  alphaAbove: boolean;
  top: number;
  /** Per distinct x: log(Γ(r+x)αʳβˢ/Γ(r)), a = r+s+x, Φ's b (s+1 or r+x), log(s/(r+s+x)). */
  common: Float64Array;
  shape: Float64Array;
  second: Float64Array;
  logDiedWeight: Float64Array;
  /** Per distinct time y: log(α+y), log(β+y), log(top+y), z = |α−β|/(top+y) and 1 − z = (bottom+y)/(top+y). */
  logAlphaY: Float64Array;
  logBetaY: Float64Array;
  logTopY: Float64Array;
  argument: Float64Array;
  complement: Float64Array;
}

function tableTerms(theta: Float64Array, frequencies: Float64Array, times: Float64Array): TableTerms {
  const r = theta[0]!;
  const alpha = theta[1]!;
  const s = theta[2]!;
  const beta = theta[3]!;
  const alphaAbove = alpha >= beta;
  const top = alphaAbove ? alpha : beta;
  const bottom = alphaAbove ? beta : alpha;
  const gap = Math.abs(alpha - beta);
  const nx = frequencies.length;
  const commonBase = r * Math.log(alpha) + s * Math.log(beta) - logGamma(r);
  const terms: TableTerms = {
    r,
    alpha,
    s,
    beta,
    alphaAbove,
    top,
    common: new Float64Array(nx),
    shape: new Float64Array(nx),
    second: new Float64Array(nx),
    logDiedWeight: new Float64Array(nx),
    logAlphaY: times.map((y) => Math.log(alpha + y)),
    logBetaY: times.map((y) => Math.log(beta + y)),
    logTopY: times.map((y) => Math.log(top + y)),
    argument: times.map((y) => gap / (top + y)),
    complement: times.map((y) => (bottom + y) / (top + y)),
  };
  for (let j = 0; j < nx; j++) {
    const x = frequencies[j]!;
    terms.common[j] = logGamma(r + x) + commonBase;
    terms.shape[j] = r + s + x;
    terms.second[j] = alphaAbove ? s + 1 : r + x;
    terms.logDiedWeight[j] = Math.log(s) - Math.log(r + s + x);
  }
  return terms;
}

/**
 * Per distinct time, the died(y) terms of the current x: `stride` doubles each, reused across calls;
 * owner[y] is the x they were computed for (rows come in x order, so an x never returns).
 */
let timeTerms: Float64Array = new Float64Array(0);
let timeOwner: Int32Array = new Int32Array(0);

function resetTimeTerms(count: number, stride: number): void {
  if (timeTerms.length < count * stride) timeTerms = new Float64Array(count * stride);
  if (timeOwner.length < count) timeOwner = new Int32Array(count);
  timeOwner.fill(-1, 0, count);
}

/**
 * Σ weight · eq. 22 over the table's distinct rows, and its gradient when asked. Rows are visited in
 * (x, T) order; factors that depend on x alone or on the time alone are computed once per distinct
 * value, the 2F1 terms once per distinct (x, time). With alive the log of the alive term and
 * died(y) = log(s/(r+s+x)) + log G(y),
 *   bracket = alive + log1p(e^(died(tₓ) − alive) − e^(died(T) − alive)),
 * where e^(died(T) − alive) ≤ 1 (G(T) ≤ (r+s+x)/s · (α+T)^−(r+x) (β+T)^−s), so the subtraction costs
 * the bracket only absolute precision of order 1e-16. e^(died(tₓ) − alive) is the product of
 * e^(died(tₓ) − ref) (per time) and e^(ref − alive) (per T), ref being the first alive of each x, which
 * leaves one log1p per row.
 */
function tableLogLikelihood(theta: Float64Array, table: SummaryTable, gradient: Float64Array | null): number {
  return gradient ? tableLogLikelihoodAndGradient(theta, table, gradient) : tableLogLikelihoodOnly(theta, table);
}

/** e^(difference) when |difference| < 600 (so a product of two cannot overflow), else NaN. */
function boundedExp(difference: number): number {
  return Math.abs(difference) < 600 ? Math.exp(difference) : Number.NaN;
}

function tableLogLikelihoodOnly(theta: Float64Array, table: SummaryTable): number {
  const { frequencies } = tableIndex(table);
  const rows = rowsOrderedByPair(table);
  const { r, s, common, shape, second, logDiedWeight, logAlphaY, logBetaY, logTopY, argument, complement } = tableTerms(theta, frequencies, rows.times);
  resetTimeTerms(rows.times.length, 2);
  const atTime = timeTerms; // per y: [died(y), e^(died(y) − ref)]
  const owner = timeOwner;

  let total = 0;
  let pairX = -1;
  let pairT = -1;
  let alive = 0;
  let reference = 0;
  let aliveFactor = 0; // e^(ref − alive)
  let shareAtT = 0; // e^(died(T) − alive)
  for (let i = 0; i < rows.weight.length; i++) {
    const j = rows.frequency[i]!;
    const k = rows.T[i]!;
    if (j !== pairX || k !== pairT) {
      alive = -(r + frequencies[j]!) * logAlphaY[k]! - s * logBetaY[k]!;
      if (j !== pairX) reference = alive;
      pairX = j;
      pairT = k;
      aliveFactor = boundedExp(reference - alive);
      if (owner[k] !== j) {
        owner[k] = j;
        const died = logDiedWeight[j]! + logPhi(shape[j]!, second[j]!, argument[k]!, complement[k]!, false) - shape[j]! * logTopY[k]!;
        atTime[2 * k] = died;
        atTime[2 * k + 1] = boundedExp(died - reference);
      }
      shareAtT = Math.exp(atTime[2 * k]! - alive);
    }
    let bracket = alive;
    if (rows.diedUnseenPossible[i]) {
      const m = rows.recency[i]!;
      if (owner[m] !== j) {
        owner[m] = j;
        const died = logDiedWeight[j]! + logPhi(shape[j]!, second[j]!, argument[m]!, complement[m]!, false) - shape[j]! * logTopY[m]!;
        atTime[2 * m] = died;
        atTime[2 * m + 1] = boundedExp(died - reference);
      }
      const exponent = atTime[2 * m]! - alive;
      if (exponent > 700) {
        bracket += exponent; // alive + exponent to double precision (and exp would overflow)
      } else {
        let shareAtTx = atTime[2 * m + 1]! * aliveFactor;
        if (shareAtTx !== shareAtTx) shareAtTx = Math.exp(exponent);
        bracket += Math.log1p(Math.max(0, shareAtTx - shareAtT));
      }
    }
    total += rows.weight[i]! * (common[j]! + bracket);
  }
  return total;
}

/**
 * Value and gradient (θ = r, α, s, β). With π = 1/(1 + D) the alive term's share of the bracket and
 * E(y) = e^(died(y) − alive), D = E(tₓ) − E(T):
 *   ∂ℓ/∂θ = ∂ log(Γ(r+x)αʳβˢ/Γ(r))/∂θ + π · (∂alive/∂θ + E(tₓ) g(tₓ) − E(T) g(T)),  g(y) = ∂died(y)/∂θ,
 * where died(y) = log(s/a) − a log(top+y) + log Φ(a, b, z), z = |α−β|/(top+y), and Φ's derivatives in
 * a = r+s+x, b (s+1 or r+x) and z come from logPhi.
 */
function tableLogLikelihoodAndGradient(theta: Float64Array, table: SummaryTable, gradient: Float64Array): number {
  const { frequencies } = tableIndex(table);
  const rows = rowsOrderedByPair(table);
  const terms = tableTerms(theta, frequencies, rows.times);
  const { r, alpha, s, beta, common, logAlphaY, logBetaY } = terms;
  const { times } = rows;
  const digammaR = digamma(r);
  const logAlpha = Math.log(alpha);
  resetTimeTerms(times.length, 6);
  const atTime = timeTerms; // per y: [died(y), e^(died(y) − ref), g(y)]
  const owner = timeOwner;
  const aliveSlope = new Float64Array(4); // ∂alive − E(T) g(T) for the current (x, T)

  let total = 0;
  let totalWeight = 0;
  let gr = 0;
  let gAlpha = 0;
  let gs = 0;
  let gBeta = 0;
  let pairX = -1;
  let pairT = -1;
  let alive = 0;
  let reference = 0;
  let aliveFactor = 0;
  let shareAtT = 0;
  let commonSlopeR = 0;
  for (let i = 0; i < rows.weight.length; i++) {
    const j = rows.frequency[i]!;
    const k = rows.T[i]!;
    const w = rows.weight[i]!;
    if (j !== pairX || k !== pairT) {
      const x = frequencies[j]!;
      alive = -(r + x) * logAlphaY[k]! - s * logBetaY[k]!;
      if (j !== pairX) {
        reference = alive;
        commonSlopeR = digamma(r + x) - digammaR + logAlpha;
      }
      pairX = j;
      pairT = k;
      aliveFactor = boundedExp(reference - alive);
      if (owner[k] !== j) {
        owner[k] = j;
        diedWithSlopes(terms, j, times[k]!, k, reference, atTime);
      }
      const at = 6 * k;
      shareAtT = Math.exp(atTime[at]! - alive);
      aliveSlope[0] = -logAlphaY[k]! - shareAtT * atTime[at + 2]!;
      aliveSlope[1] = -(r + x) / (alpha + times[k]!) - shareAtT * atTime[at + 3]!;
      aliveSlope[2] = -logBetaY[k]! - shareAtT * atTime[at + 4]!;
      aliveSlope[3] = -s / (beta + times[k]!) - shareAtT * atTime[at + 5]!;
    }
    let bracket = alive;
    totalWeight += w;
    gr += w * commonSlopeR;
    if (rows.diedUnseenPossible[i]) {
      const m = rows.recency[i]!;
      if (owner[m] !== j) {
        owner[m] = j;
        diedWithSlopes(terms, j, times[m]!, m, reference, atTime);
      }
      const at = 6 * m;
      const exponent = atTime[at]! - alive;
      if (exponent > 700) {
        // π = 0 and π·E(tₓ) = 1 to double precision.
        bracket += exponent;
        gr += w * atTime[at + 2]!;
        gAlpha += w * atTime[at + 3]!;
        gs += w * atTime[at + 4]!;
        gBeta += w * atTime[at + 5]!;
      } else {
        let shareAtTx = atTime[at + 1]! * aliveFactor;
        if (shareAtTx !== shareAtTx) shareAtTx = Math.exp(exponent);
        const excess = Math.max(0, shareAtTx - shareAtT);
        bracket += Math.log1p(excess);
        const alivePart = w / (1 + excess);
        gr += alivePart * (aliveSlope[0]! + shareAtTx * atTime[at + 2]!);
        gAlpha += alivePart * (aliveSlope[1]! + shareAtTx * atTime[at + 3]!);
        gs += alivePart * (aliveSlope[2]! + shareAtTx * atTime[at + 4]!);
        gBeta += alivePart * (aliveSlope[3]! + shareAtTx * atTime[at + 5]!);
      }
    } else {
      // Last purchase at T: the bracket is the alive term alone.
      gr -= w * logAlphaY[k]!;
      gAlpha -= (w * (r + frequencies[j]!)) / (alpha + times[k]!);
      gs -= w * logBetaY[k]!;
      gBeta -= (w * s) / (beta + times[k]!);
    }
    total += w * (common[j]! + bracket);
  }
  gradient[0] = gr;
  gradient[1] = gAlpha + (totalWeight * r) / alpha;
  gradient[2] = gs + totalWeight * Math.log(beta);
  gradient[3] = gBeta + (totalWeight * s) / beta;
  return total;
}

/**
 * Writes [died(y), e^(died(y) − ref), ∂died/∂(r, α, s, β)] for the x-th frequency at time position k.
 * For α ≥ β, died = log(s/a) − a log(α+y) + log Φ(a, s+1, (α−β)/(α+y)); for α < β,
 * log(s/a) − a log(β+y) + log Φ(a, r+x, (β−α)/(β+y)); a = r+s+x moves with r and s, b with s (or r),
 * z with α and β.
 */
function diedWithSlopes(terms: TableTerms, j: number, y: number, k: number, reference: number, out: Float64Array): void {
  const { alpha, s, beta, alphaAbove, top } = terms;
  const a = terms.shape[j]!;
  const shifted = top + y;
  const logShifted = terms.logTopY[k]!;
  const died = terms.logDiedWeight[j]! + logPhi(a, terms.second[j]!, terms.argument[k]!, terms.complement[k]!, true) - a * logShifted;
  const viaShape = slopeA - 1 / a - logShifted;
  const viaTop = -a / shifted + (slopeZ * ((alphaAbove ? beta : alpha) + y)) / (shifted * shifted);
  const viaBottom = -slopeZ / shifted;
  const at = 6 * k;
  out[at] = died;
  out[at + 1] = boundedExp(died - reference);
  out[at + 2] = alphaAbove ? viaShape : viaShape + slopeB;
  out[at + 3] = alphaAbove ? viaTop : viaBottom;
  out[at + 4] = 1 / s + (alphaAbove ? viaShape + slopeB : viaShape);
  out[at + 5] = alphaAbove ? viaBottom : viaTop;
}

/** Where Pareto/NBD becomes a simpler model: the dropout rate μ ~ Gamma(s, β) has mean s/β, λ ~ Gamma(r, α) mean r/α. */
const limits: readonly ParameterLimit[] = [
  { parameters: ["s"], toward: "0", reducesTo: "NBD: no dropout seen", noDropout: true },
  { parameters: ["beta"], toward: "∞", reducesTo: "NBD: no dropout seen", noDropout: true },
  { parameters: ["s", "beta"], toward: "∞", reducesTo: "one dropout rate s/β shared by every customer" },
  { parameters: ["r", "alpha"], toward: "∞", reducesTo: "one purchase rate r/α shared by every customer (Poisson)" },
];

export const paretoNbd: PurchaseModel<ParetoNbdParams> = {
  name: "pareto-nbd",
  limits,
  parameterNames: ["r", "alpha", "s", "beta"],
  // Rates α and β are in the data's time unit: weekly data sits near α, β ≈ 10, daily near 70.
  starts: [
    [1, 1, 1, 1],
    [0.5, 10, 0.5, 10],
    [0.5, 70, 0.5, 70],
  ],
  hasGradient: true,
  logLikelihood,
  tableLogLikelihood,
  expectedPurchases,
  probabilityAlive,
  expectedPurchasesUnconditional,
  probabilityNoPurchase: (params, summary, horizon) => probabilityNoPurchaseByLikelihoodRatio(logLikelihood, params, summary, horizon),
};
