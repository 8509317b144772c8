import { describe, expect, it } from "vitest";
import { summaryTable, type CustomerSummary } from "../../functions/domain/clv/customer-summary.js";
import { fitModel } from "../../functions/domain/clv/fit.js";
import { readFileSync } from "node:fs";
import { logPhiLaguerre, logPhiNearOne, paretoNbd, type ParetoNbdParams } from "../../functions/domain/clv/pareto-nbd.js";
import { gaussLegendre, logIntegral } from "../../functions/domain/numeric/gauss-legendre.js";
import { logHyp2f1Complement } from "../../functions/domain/numeric/hypergeometric.js";
import { seededRandom } from "../../functions/domain/numeric/random.js";
import { logGamma } from "../../functions/domain/numeric/log-gamma.js";
import { cdnowPublishedSummary } from "../support/cdnow.js";
import { contactHistories, dayNumber, summarize } from "../../functions/domain/clv/order-history.js";
import { purchaseTable } from "../../functions/domain/clv/customer-summary.js";
import { onlineRetailOrders } from "../support/online-retail.js";

// Published figures: test/fixtures/README.md, "Published figures on the sample"
// (CDNOW 1/10 sample, 2,357 customers, weeks, calibration 39 weeks; cdnow_customers_summary.csv).
const summaries = [...cdnowPublishedSummary().values()];
const table = summaryTable(summaries);
const published: ParetoNbdParams = { r: 0.553, alpha: 10.58, s: 0.606, beta: 11.656 };
const thetaOf = (p: ParetoNbdParams) => Float64Array.of(p.r, p.alpha, p.s, p.beta);

/** Composite Simpson's rule with n (even) panels. */
function simpson(f: (u: number) => number, from: number, to: number, n = 20_000): number {
  const h = (to - from) / n;
  let sum = f(from) + f(to);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * f(from + i * h);
  return (sum * h) / 3;
}

/**
 * The likelihood from first principles, without 2F1: alive at T with no purchase after tₓ, or died at
 * some τ in (tₓ, T]. Integrating λ ~ Gamma(r, α) and μ ~ Gamma(s, β) out of
 * λˣ e^−(λ+μ)T + ∫ λˣ e^−λτ μ e^−μτ dτ gives (Fader & Hardie 2005 note, §3)
 *   Γ(r+x)αʳβˢ/Γ(r) · [(α+T)^−(r+x) (β+T)^−s + s ∫_{tₓ}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ],
 * whose τ-integral is done here numerically.
 */
function likelihoodByQuadrature({ r, alpha, s, beta }: ParetoNbdParams, { frequency: x, recency: tx, T }: CustomerSummary): number {
  const common = Math.exp(logGamma(r + x) - logGamma(r) + r * Math.log(alpha) + s * Math.log(beta));
  const alive = Math.pow(alpha + T, -(r + x)) * Math.pow(beta + T, -s);
  // In v = log((m + τ)/(m + tₓ)), m = min(α, β), so a small β's peak at τ = tₓ is spread out.
  const m = Math.min(alpha, beta);
  const integrand = (v: number) => {
    const u = (m + tx) * Math.exp(v) - m;
    return Math.pow(alpha + u, -(r + x)) * Math.pow(beta + u, -(s + 1)) * (m + u);
  };
  const died = T > tx ? s * simpson(integrand, 0, Math.log((m + T) / (m + tx))) : 0;
  return common * (alive + died);
}

describe("Pareto/NBD on the CDNOW sample", () => {
  it("reproduces the published log-likelihood at the published parameters", () => {
    // Act and assess
    expect(table.length).toBeLessThan(summaries.length);
    const ll = paretoNbd.tableLogLikelihood(thetaOf(published), table, null);
    expect(Math.abs(ll - -9595.0)).toBeLessThan(0.5); // Fader, Hardie & Lee (2005), Marketing Science 24(2); BTYD vignette
  });

  it("the per-customer likelihood sums to the table likelihood", () => {
    // Act and assess
    for (const params of [published, { r: 0.8, alpha: 4, s: 1.3, beta: 40 }, { r: 0.3, alpha: 30, s: 0.4, beta: 2 }, { r: 1, alpha: 7, s: 1, beta: 7 }]) {
      const perCustomer = summaries.reduce((sum, s) => sum + paretoNbd.logLikelihood(params, s), 0);
      expect(Math.abs(paretoNbd.tableLogLikelihood(thetaOf(params), table, null) - perCustomer)).toBeLessThan(1e-8 * Math.abs(perCustomer));
    }
  });

  it("spot check: customer (x = 26, tₓ = 30.86, T = 31)", () => {
    // Prepare
    const customer = { frequency: 26, recency: 30.86, T: 31 };
    // Act and assess
    // test/fixtures/README.md spot check (Pareto/NBD with the published parameters)
    expect(Math.abs(paretoNbd.expectedPurchases(published, customer, 52) - 25.46)).toBeLessThan(0.01);
    expect(Math.abs(paretoNbd.probabilityAlive(published, customer) - 0.998)).toBeLessThan(0.001);
  });

  it("has an analytic gradient that matches central differences", () => {
    // Act and assess
    // α > β, α < β, α = β, and α ≫ β, where z = (α−β)/(α+tₓ) passes 0.995 and Φ's a- and b-derivatives
    // are themselves differences of logHyp2f1.
    for (const params of [published, { r: 0.8, alpha: 4, s: 1.3, beta: 40 }, { r: 1, alpha: 7, s: 1, beta: 7 }, { r: 0.4, alpha: 500, s: 2.5, beta: 0.05 }]) {
      const theta = thetaOf(params);
      const gradient = new Float64Array(4);
      const value = paretoNbd.tableLogLikelihood(theta, table, gradient);
      expect(value).toBe(paretoNbd.tableLogLikelihood(theta, table, null));
      for (let i = 0; i < 4; i++) {
        // Fourth-order central differences in log θ: truncation ~h⁴, rounding ~1e-12·|ℓ|/h.
        const h = 1e-3;
        const at = (step: number) => {
          const probe = Float64Array.from(theta);
          probe[i] = theta[i]! * Math.exp(step);
          return paretoNbd.tableLogLikelihood(probe, table, null);
        };
        const numeric = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h * theta[i]!);
        expect(Math.abs(gradient[i]! - numeric), `${JSON.stringify(params)} ∂/∂θ${i}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
      }
    }
  });

  it("fits the published parameters and log-likelihood", () => {
    // Act
    const fit = fitModel<ParetoNbdParams>(paretoNbd, table);
    // Assess
    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(2357);
    // Fader, Hardie & Lee (2005); BTYD vignette: r = 0.553, α = 10.580, s = 0.606, β = 11.656, LL −9,595.0
    expect(Math.abs(fit.params.r / published.r - 1)).toBeLessThan(0.02);
    expect(Math.abs(fit.params.alpha / published.alpha - 1)).toBeLessThan(0.02);
    expect(Math.abs(fit.params.s / published.s - 1)).toBeLessThan(0.02);
    expect(Math.abs(fit.params.beta / published.beta - 1)).toBeLessThan(0.02);
    expect(Math.abs(fit.logLikelihood - -9595.0)).toBeLessThan(0.5);
    for (const se of Object.values(fit.standardErrors)) expect(se).toBeGreaterThan(0);
  });
});

describe("Pareto/NBD likelihood against quadrature", () => {
  const customers: CustomerSummary[] = [
    { frequency: 0, recency: 0, T: 38.86 },
    { frequency: 2, recency: 30.43, T: 38.86 },
    { frequency: 7, recency: 5.5, T: 32 },
    { frequency: 26, recency: 30.86, T: 31 },
  ];
  // α > β, α < β, α = β (the 2F1 argument is then 0), α ≫ β (argument near 1), and α/β = 10¹⁶, where
  // the argument (α−β)/α rounds to 1 and only its complement β/α is exact.
  const parameterSets: ParetoNbdParams[] = [
    published,
    { r: 0.8, alpha: 4, s: 1.3, beta: 40 },
    { r: 1.2, alpha: 9, s: 0.7, beta: 9 },
    { r: 0.4, alpha: 500, s: 2.5, beta: 0.05 },
    { r: 0.5, alpha: 1e8, s: 0.8, beta: 1e-8 },
  ];

  it("matches eq. 22 in every branch", () => {
    // Act and assess
    for (const params of parameterSets) {
      for (const customer of customers) {
        const expected = Math.log(likelihoodByQuadrature(params, customer));
        expect(Math.abs(paretoNbd.logLikelihood(params, customer) - expected), `${JSON.stringify(params)} ${JSON.stringify(customer)}`).toBeLessThan(1e-9);
      }
    }
  });

  it("gives a one-time buyer's P(no purchase) and P(alive) as the quadrature does", () => {
    // Act
    const oneTimer = { frequency: 0, recency: 0, T: 30 };
    // Assess
    for (const params of parameterSets) {
      for (const horizon of [1, 13, 52]) {
        const expected = likelihoodByQuadrature(params, { ...oneTimer, T: oneTimer.T + horizon }) / likelihoodByQuadrature(params, oneTimer);
        expect(Math.abs(paretoNbd.probabilityNoPurchase(params, oneTimer, horizon) - expected)).toBeLessThan(1e-9);
      }
      const { r, alpha, s, beta } = params;
      // P(alive) is the alive term's share of the likelihood; for x = 0 its common factor is αʳβˢ.
      const aliveShare = (Math.pow(alpha / (alpha + 30), r) * Math.pow(beta / (beta + 30), s)) / likelihoodByQuadrature(params, oneTimer);
      expect(Math.abs(paretoNbd.probabilityAlive(params, oneTimer) - aliveShare)).toBeLessThan(1e-9);
    }
  });
});

describe("Pareto/NBD predictions", () => {
  it("E[X(t)] for a new customer starts at 0 and increases", () => {
    // Act and assess
    expect(paretoNbd.expectedPurchasesUnconditional(published, 0)).toBe(0);
    let previous = 0;
    for (const t of [1, 5, 13, 26, 39, 52, 78, 104, 520]) {
      const value = paretoNbd.expectedPurchasesUnconditional(published, t);
      expect(value).toBeGreaterThan(previous);
      previous = value;
    }
    // Small t: E[X(t)] ≈ E[λ] t = (r/α) t.
    expect(paretoNbd.expectedPurchasesUnconditional(published, 1e-6) / 1e-6).toBeCloseTo(published.r / published.alpha, 6);
  });

  it("E[X(t)] at s = 1 is the limit (rβ/α) log(1 + t/β), continuous on both sides", () => {
    // Prepare
    const atOne = { ...published, s: 1 };
    const limit = (published.r / published.alpha) * published.beta * Math.log1p(52 / published.beta);
    // Act and assess
    expect(paretoNbd.expectedPurchasesUnconditional(atOne, 52)).toBeCloseTo(limit, 12);
    for (const ds of [-1e-9, 1e-9, -1e-5, 1e-5]) {
      expect(paretoNbd.expectedPurchasesUnconditional({ ...published, s: 1 + ds }, 52)).toBeCloseTo(limit, 3);
    }
    const customer = { frequency: 3, recency: 20, T: 39 };
    const conditionalAtOne = paretoNbd.expectedPurchases(atOne, customer, 52);
    expect(paretoNbd.expectedPurchases({ ...atOne, s: 1 + 1e-9 }, customer, 52)).toBeCloseTo(conditionalAtOne, 7);
  });

  it("conditional expectations are positive, grow with the horizon, and are below the alive rate times t", () => {
    // Prepare
    const customer = { frequency: 4, recency: 25, T: 39 };
    // Act
    const alive = paretoNbd.probabilityAlive(published, customer);
    // Assess
    expect(alive).toBeGreaterThan(0);
    expect(alive).toBeLessThan(1);
    let previous = 0;
    for (const t of [1, 13, 26, 52]) {
      const value = paretoNbd.expectedPurchases(published, customer, t);
      expect(value).toBeGreaterThan(previous);
      // E[λ | x, T] = (r+x)/(α+T) bounds the rate of a customer who is alive for the whole horizon.
      expect(value).toBeLessThan(((published.r + 4) / (published.alpha + 39)) * t);
      previous = value;
    }
    expect(paretoNbd.expectedPurchases(published, customer, 0)).toBe(0);
  });

  it("P(no purchase) is 1 at horizon 0, within [0, 1] and decreasing in the horizon", () => {
    // Act and assess
    for (const customer of [
      { frequency: 0, recency: 0, T: 39 },
      { frequency: 2, recency: 30.43, T: 38.86 },
      { frequency: 26, recency: 30.86, T: 31 },
      { frequency: 1, recency: 2, T: 38 },
    ]) {
      expect(paretoNbd.probabilityNoPurchase(published, customer, 0)).toBe(1);
      let previous = 1;
      for (const horizon of [1, 4, 13, 26, 52, 104]) {
        const p = paretoNbd.probabilityNoPurchase(published, customer, horizon);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(previous);
        previous = p;
      }
    }
  });

  it("a recent frequent buyer is more likely alive and buys more than one who stopped long ago", () => {
    // Prepare
    const recent = { frequency: 10, recency: 38, T: 39 };
    const lapsed = { frequency: 10, recency: 5, T: 39 };
    // Act and assess
    expect(paretoNbd.probabilityAlive(published, recent)).toBeGreaterThan(paretoNbd.probabilityAlive(published, lapsed));
    expect(paretoNbd.expectedPurchases(published, recent, 52)).toBeGreaterThan(paretoNbd.expectedPurchases(published, lapsed, 52));
    expect(paretoNbd.probabilityNoPurchase(published, recent, 13)).toBeLessThan(paretoNbd.probabilityNoPurchase(published, lapsed, 13));
  });
});

/**
 * The arguments of Pareto/NBD's 2F1(a, b; a+1; 1 − w): r from e^−3 to e^rMax, s from e^−8 to e^2, x up to
 * 200, b of either branch (s + 1 or r + x), w log-uniform in [wFrom, wTo].
 */
function paretoArguments(random: () => number, rMax: number, wFrom: number, wTo: number): { a: number; b: number; w: number } {
  const r = Math.exp(-3 + (rMax + 3) * random());
  const s = Math.exp(-8 + 10 * random());
  const x = Math.floor(random() * random() * 200);
  const b = random() < 0.5 ? s + 1 : r + x;
  const w = Math.exp(Math.log(wFrom) + random() * (Math.log(wTo) - Math.log(wFrom)));
  return { a: r + s + x, b, w };
}

describe("2F1(a, b; a+1; z) near z = 1 by the connection formula (the likelihood's fast path)", () => {
  it("matches mpmath's values at 40 digits where it applies (test/fixtures/reference/hyp2f1.csv)", () => {
    // Prepare: the reference rows of the form c = a + 1 with 1 − z < 0.05.
    const lines = readFileSync(new URL("../fixtures/reference/hyp2f1.csv", import.meta.url), "utf8").trim().split(/\r?\n/).slice(1);
    const rows = lines.map((line) => line.split(",").map(Number)).filter(([a, , c, z]) => Math.abs(c! - a! - 1) < 1e-12 && 1 - z! < 0.05);
    expect(rows.length).toBeGreaterThan(10);
    let compared = 0;
    for (const [a, b, , z, , logAbsValue] of rows) {
      // Act
      const value = logPhiNearOne(a!, b!, 1 - z!);
      if (Number.isNaN(value)) continue;
      compared++;
      // Assess: 1e-10 as the hypergeometric test allows for z given in decimal so close to 1.
      expect(Math.abs(value - logAbsValue!) / Math.max(1, Math.abs(logAbsValue!))).toBeLessThan(1e-10);
    }
    expect(compared).toBeGreaterThan(5);
  });

  it("agrees with analytic continuation over the arguments Pareto/NBD produces, where it does not decline (NaN)", () => {
    const random = seededRandom(3);
    let compared = 0;
    for (let i = 0; i < 5000; i++) {
      // Prepare: r, s over e^±3 and e^−8…e^2, x up to 200, both branches' b, 1 − z from 1e-9 to 0.005.
      const { a, b, w } = paretoArguments(random, 3, 1e-9, 0.005);
      // Act
      const value = logPhiNearOne(a, b, w);
      if (Number.isNaN(value)) continue;
      compared++;
      // Assess
      const reference = logHyp2f1Complement(a, b, a + 1, w);
      expect(Math.abs(value - reference) / Math.max(1, Math.abs(reference))).toBeLessThan(5e-12);
    }
    expect(compared).toBeGreaterThan(3000);
  });
});

/**
 * likelihoodByQuadrature in log space, for parameters where the powers leave a double's range (r in the
 * thousands): the τ-integral by Gauss–Legendre on 40 panels of 64 nodes.
 */
function logLikelihoodByQuadrature({ r, alpha, s, beta }: ParetoNbdParams, { frequency: x, recency: tx, T }: CustomerSummary): number {
  const common = logGamma(r + x) - logGamma(r) + r * Math.log(alpha) + s * Math.log(beta);
  const alive = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  if (!(T > tx)) return common + alive;
  const panels = Array.from({ length: 39 }, (_, i) => tx + ((i + 1) * (T - tx)) / 40);
  const died = Math.log(s) + logIntegral((u) => -(r + x) * Math.log(alpha + u) - (s + 1) * Math.log(beta + u), tx, T, panels, gaussLegendre(64));
  const top = Math.max(alive, died);
  return common + top + Math.log(Math.exp(alive - top) + Math.exp(died - top));
}

describe("Pareto/NBD near its Poisson limit (r, α → ∞ with r/α kept) on daily data", () => {
  // The demo store's daily summaries (UCI Online Retail, data/online-retail) as of 2011-12-09.
  const asOf = Date.parse("2011-12-09T00:00:00Z");
  const demo = purchaseTable(contactHistories(onlineRetailOrders(), asOf).map((h) => summarize(h, dayNumber(asOf), "days")!));
  const nearPoisson: ParetoNbdParams[] = [
    { r: 1e4, alpha: 2e5, s: 0.6, beta: 11.6 },
    { r: 1.2e6, alpha: 1.2e8, s: 0.6, beta: 11 },
  ];

  it("has the likelihood the quadrature gives, where continuation took seconds a pass or gave NaN", () => {
    const customers: CustomerSummary[] = [
      { frequency: 0, recency: 0, T: 300 },
      { frequency: 3, recency: 200, T: 373 },
      { frequency: 20, recency: 100, T: 373 },
      { frequency: 60, recency: 370, T: 373 },
    ];
    for (const params of nearPoisson) {
      for (const customer of customers) {
        // Act
        const value = paretoNbd.logLikelihood(params, customer);
        // Assess
        const expected = logLikelihoodByQuadrature(params, customer);
        expect(Math.abs(value - expected), `${JSON.stringify(params)} ${JSON.stringify(customer)}`).toBeLessThan(1e-8 * Math.max(1, Math.abs(expected)));
      }
    }
  });

  it("gives the demo store's table a finite likelihood and gradient there, equal to the sum over its rows", () => {
    for (const params of nearPoisson) {
      // Act
      const gradient = new Float64Array(4);
      const value = paretoNbd.tableLogLikelihood(thetaOf(params), demo, gradient);

      // Assess
      expect(Number.isFinite(value)).toBe(true);
      expect([...gradient].every(Number.isFinite)).toBe(true);
      let sum = 0;
      for (let i = 0; i < demo.length; i++) sum += demo.weight[i]! * paretoNbd.logLikelihood(params, { frequency: demo.frequency[i]!, recency: demo.recency[i]!, T: demo.T[i]! });
      expect(Math.abs(value - sum) / Math.abs(sum)).toBeLessThan(1e-9);
    }
  });
});

describe("2F1(a, b; a+1; 1 − w) by Gauss–Laguerre where a·w ≥ 2 and b ≤ 2a·w", () => {
  const used = (a: number, b: number, w: number) => a * w >= 2 && b <= 2 * a * w;

  it("matches mpmath's values at 40 digits where it is used (test/fixtures/reference/hyp2f1.csv)", () => {
    // Prepare
    const lines = readFileSync(new URL("../fixtures/reference/hyp2f1.csv", import.meta.url), "utf8").trim().split(/\r?\n/).slice(1);
    const rows = lines.map((line) => line.split(",").map(Number)).filter(([a, b, c, z]) => Math.abs(c! - a! - 1) < 1e-12 && used(a!, b!, 1 - z!));
    expect(rows.length).toBeGreaterThan(50);
    for (const [a, b, , z, , logAbsValue] of rows) {
      // Act
      const value = logPhiLaguerre(a!, b!, 1 - z!);
      // Assess
      expect(Math.abs(value - logAbsValue!) / Math.max(1, Math.abs(logAbsValue!)), `a ${a} b ${b} z ${z}`).toBeLessThan(1e-9);
    }
  });

  it("agrees with analytic continuation over Pareto/NBD's arguments, r up to e^12", () => {
    const random = seededRandom(5);
    let compared = 0;
    for (let i = 0; i < 3000; i++) {
      // Prepare: r from e^−3 to e^12, s from e^−8 to e^2, x up to 200, both branches' b, w from 1e-8 to 0.3.
      const { a, b, w } = paretoArguments(random, 12, 1e-8, 0.3);
      if (!used(a, b, w) || a > 2e4) continue; // continuation's own limit of patience
      const expected = logHyp2f1Complement(a, b, a + 1, w);
      if (!Number.isFinite(expected)) continue;
      compared++;
      // Act and assess
      expect(Math.abs(logPhiLaguerre(a, b, w) - expected) / Math.max(1, Math.abs(expected)), `a ${a} b ${b} w ${w}`).toBeLessThan(1e-9);
    }
    expect(compared).toBeGreaterThan(200);
  });
});
