import { describe, expect, it } from "vitest";
import { bgNbd, mbgNbd } from "../../functions/domain/clv/bg-nbd.js";
import { summaryTable } from "../../functions/domain/clv/customer-summary.js";
import { fitModel } from "../../functions/domain/clv/fit.js";
import { cdnowSummaries } from "../support/cdnow.js";

// Published figures: test/fixtures/README.md, "Published figures on the sample"
// (CDNOW 1/10 sample, 2,357 customers, weeks, calibration 39 weeks).
const table = summaryTable(cdnowSummaries());
const published = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe("BG/NBD on the CDNOW sample", () => {
  it("reproduces the published parameters and log-likelihood", () => {
    // Act
    const fit = fitModel(bgNbd, table);
    // Assess
    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(2357);
    expect(fit.params.r).toBeCloseTo(0.243, 3); // Fader, Hardie & Lee (2005), Marketing Science 24(2); BTYD vignette
    expect(fit.params.alpha).toBeCloseTo(4.414, 2);
    expect(fit.params.a).toBeCloseTo(0.793, 3);
    expect(fit.params.b).toBeCloseTo(2.426, 2);
    expect(fit.logLikelihood).toBeCloseTo(-9582.4, 1); // same source
    for (const se of Object.values(fit.standardErrors)) expect(se).toBeGreaterThan(0);
  });

  it("the per-customer likelihood sums to the table likelihood", () => {
    // Prepare
    const theta = Float64Array.of(published.r, published.alpha, published.a, published.b);
    const perCustomer = cdnowSummaries().reduce((sum, s) => sum + bgNbd.logLikelihood(published, s), 0);
    // Act and assess
    expect(bgNbd.tableLogLikelihood(theta, table, null)).toBeCloseTo(perCustomer, 6);
  });

  it("has an analytic gradient that matches finite differences", () => {
    // Prepare
    const theta = Float64Array.of(0.3, 5, 0.9, 2);
    const gradient = new Float64Array(4);
    // Act
    bgNbd.tableLogLikelihood(theta, table, gradient);
    // Assess
    for (let i = 0; i < 4; i++) {
      const h = 1e-6 * theta[i]!;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[i]! += h;
      down[i]! -= h;
      const numeric = (bgNbd.tableLogLikelihood(up, table, null) - bgNbd.tableLogLikelihood(down, table, null)) / (2 * h);
      expect(gradient[i]).toBeCloseTo(numeric, 1);
      expect(Math.abs(gradient[i]! - numeric) / Math.max(1, Math.abs(numeric))).toBeLessThan(1e-5);
    }
  });

  it("spot checks: customer (x = 2, tₓ = 30.43, T = 38.86) and the unconditional curve", () => {
    // Prepare
    const customer = { frequency: 2, recency: 30.43, T: 38.86 };
    // Act and assess
    expect(bgNbd.expectedPurchases(published, customer, 39)).toBeCloseTo(1.226, 3); // README spot check (FHL 2005 parameters)
    expect(bgNbd.probabilityAlive(published, customer)).toBeCloseTo(0.727, 3);
    expect(bgNbd.expectedPurchasesUnconditional(published, 78)).toBeCloseTo(1.858, 2); // FHL (2005) Figure 3 curve
  });

  it("a one-time buyer is alive for sure under BG/NBD, yet may well not buy in the next 90 days", () => {
    // Prepare
    const oneTimer = { frequency: 0, recency: 0, T: 30 };
    // Act and assess
    expect(bgNbd.probabilityAlive(published, oneTimer)).toBe(1);
    const noPurchase = bgNbd.probabilityNoPurchase(published, oneTimer, 90 / 7);
    // Independent form: alive with certainty, λ | history ~ Gamma(r, α + T), so P(0) = ((α+T)/(α+T+h))^r.
    expect(noPurchase).toBeCloseTo(Math.pow((published.alpha + 30) / (published.alpha + 30 + 90 / 7), published.r), 10);
    expect(noPurchase).toBeGreaterThan(0.5);
  });

  it("P(no purchase in h) equals an independent computation for a repeat buyer", () => {
    // Prepare
    const s = { frequency: 3, recency: 20, T: 35 };
    const h = 13;
    const { r, alpha } = published;
    // P(dead) + P(alive) · E[e^(−λh) | alive] with λ | alive, history ~ Gamma(r + x, α + T).
    const pAlive = bgNbd.probabilityAlive(published, s);
    const expected = 1 - pAlive + pAlive * Math.pow((alpha + s.T) / (alpha + s.T + h), r + s.frequency);
    // Act and assess
    expect(bgNbd.probabilityNoPurchase(published, s, h)).toBeCloseTo(expected, 10);
    expect(bgNbd.probabilityNoPurchase(published, s, 0)).toBe(1);
  });
});

describe("MBG/NBD on the CDNOW sample", () => {
  it("reproduces lifetimes' figures (fit by BTYDplus)", () => {
    // Act
    const fit = fitModel(mbgNbd, table);
    // Assess
    expect(fit.params.r).toBeCloseTo(0.525, 2); // lifetimes' test suite; no paper gives CDNOW figures
    expect(fit.params.alpha).toBeCloseTo(6.183, 1);
    expect(fit.params.a).toBeCloseTo(0.891, 2);
    expect(fit.params.b).toBeCloseTo(1.614, 2);
    expect(fit.logLikelihood).toBeCloseTo(-9582.1, 0);
  });

  it("a one-time buyer may have dropped out, unlike BG/NBD", () => {
    // Prepare
    const params = { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 };
    // Act
    const pAlive = mbgNbd.probabilityAlive(params, { frequency: 0, recency: 0, T: 38 });
    // Assess
    expect(pAlive).toBeGreaterThan(0);
    expect(pAlive).toBeLessThan(1);
  });
});
