import { describe, expect, it } from "vitest";
import { bgNbd } from "../../functions/domain/clv/bg-nbd.js";
import { contactCount, purchaseTable, summaryTable } from "../../functions/domain/clv/customer-summary.js";
import { fitModel, type LikelihoodModel } from "../../functions/domain/clv/fit.js";
import { ModelFitError } from "../../functions/domain/clv/purchase-model.js";
import { LOG_PARAMETER_BOUND, maximizeLikelihood, standardErrors } from "../../functions/domain/numeric/optimizer.js";
import { cdnowSummaries } from "../support/cdnow.js";
import { simulateBgNbd } from "../support/simulate.js";

/** −(ln θ₁ − ln 3)² − 10 (ln θ₂ + 1)²: its maximum is at θ = (3, e⁻¹). */
const bowl = (theta: Float64Array, gradient: Float64Array | null) => {
  const u = Math.log(theta[0]!) - Math.log(3);
  const v = Math.log(theta[1]!) + 1;
  if (gradient) {
    gradient[0] = (-2 * u) / theta[0]!;
    gradient[1] = (-20 * v) / theta[1]!;
  }
  return -u * u - 10 * v * v;
};

describe("maximizeLikelihood", () => {
  it.each([true, false])("finds the maximum (analytic gradient: %s)", (analyticGradient) => {
    // Act
    const result = maximizeLikelihood(bowl, { starts: [[1, 1], [50, 0.01]], analyticGradient });
    // Assess
    expect(result.converged).toBe(true);
    expect(result.theta[0]).toBeCloseTo(3, 5);
    expect(result.theta[1]).toBeCloseTo(Math.exp(-1), 5);
    expect(result.runs).toHaveLength(2);
  });

  it("starts from a given inverse Hessian: with the bowl's own it steps straight to the top", () => {
    // Prepare: the bowl's Hessian in φ = log θ is diag(2, 20), so its inverse is diag(1/2, 1/20).
    const start = [[50, 0.01]];
    // Act
    const fresh = maximizeLikelihood(bowl, { starts: start, analyticGradient: true });
    const warm = maximizeLikelihood(bowl, { starts: start, analyticGradient: true, inverseHessian: [0.5, 0, 0, 0.05] });
    // Assess: the same maximum, reached in one step instead of several.
    expect(warm.converged).toBe(true);
    expect(warm.theta[0]).toBeCloseTo(3, 6);
    expect(warm.theta[1]).toBeCloseTo(Math.exp(-1), 6);
    expect(warm.iterations).toBe(1);
    expect(fresh.iterations).toBeGreaterThan(warm.iterations);
    expect(warm.inverseHessian).toHaveLength(4);
  });

  it("holds a parameter that runs off to infinity at its bound and maximizes over the others", () => {
    // Prepare: rises forever in θ₁; a bowl in θ₂ with its top at θ₂ = 2.
    const rising = (theta: Float64Array, gradient: Float64Array | null) => {
      const v = Math.log(theta[1]!) - Math.log(2);
      if (gradient) {
        gradient[0] = 1 / (theta[0]! * theta[0]!);
        gradient[1] = (-2 * v) / theta[1]!;
      }
      return -1 / theta[0]! - v * v;
    };

    // Act
    const result = maximizeLikelihood(rising, { starts: [[1, 1]], analyticGradient: true });

    // Assess
    expect(result.converged).toBe(true);
    expect(result.atBound).toEqual([0]);
    expect(Math.log(result.theta[0]!)).toBeCloseTo(LOG_PARAMETER_BOUND, 10);
    expect(result.theta[1]).toBeCloseTo(2, 5);
    expect(result.message).toContain("at its bound");
  });

  it("lets a parameter leave the bound when the likelihood pulls it back", () => {
    // Prepare: the first step overshoots far beyond θ = e¹³ toward a top at e¹³·⁵, inside the bound.
    const peak = 13.5;
    const ll = (theta: Float64Array, gradient: Float64Array | null) => {
      const u = Math.log(theta[0]!) - peak;
      if (gradient) gradient[0] = (-2 * u) / theta[0]!;
      return -u * u;
    };

    // Act
    const result = maximizeLikelihood(ll, { starts: [[Math.exp(10)]], analyticGradient: true });

    // Assess
    expect(result.converged).toBe(true);
    expect(result.atBound).toEqual([]);
    expect(Math.log(result.theta[0]!)).toBeCloseTo(peak, 5);
  });

  it("gives standard errors from the curvature: σ of a normal mean is s/√n", () => {
    // Prepare
    // Log-likelihood of n = 100 draws with sample mean 5 and σ = 2, in μ: −Σ(xᵢ − μ)² / 2σ², curvature n/σ².
    const ll = (theta: Float64Array, gradient: Float64Array | null) => {
      const mu = theta[0]!;
      if (gradient) gradient[0] = (100 * (5 - mu)) / 4;
      return (-100 * (5 - mu) ** 2) / 8;
    };
    // Act and assess
    expect(standardErrors(ll, [5], true)[0]).toBeCloseTo(0.2, 6);
    expect(standardErrors(ll, [5], false)[0]).toBeCloseTo(0.2, 3);
    // Given the gradient at the maximum, one pass per parameter (forward differences): the same figure.
    expect(standardErrors(ll, [5], true, [0])[0]).toBeCloseTo(0.2, 6);
  });

  it("forward-difference standard errors agree with central ones on a real fit: BG/NBD on the CDNOW sample", () => {
    // Prepare: Fader, Hardie & Lee (2005), CDNOW sample, r = 0.243, α = 4.414, a = 0.793, b = 2.426.
    const table = purchaseTable(cdnowSummaries());
    const ll = (theta: Float64Array, gradient: Float64Array | null) => bgNbd.tableLogLikelihood(theta, table, gradient);
    const maximum = maximizeLikelihood(ll, { starts: bgNbd.starts, analyticGradient: true, scale: table.length });

    // Act
    const central = standardErrors(ll, maximum.theta, true);
    const forward = standardErrors(ll, maximum.theta, true, maximum.gradient);

    // Assess
    expect(maximum.theta[0]).toBeCloseTo(0.243, 3);
    forward.forEach((se, i) => expect(Math.abs(se / central[i]! - 1)).toBeLessThan(1e-4));
  });
});

describe("fitModel", () => {
  it("a fit that runs off to a bound is a result that says so, with a null standard error", () => {
    // Prepare
    const runaway: LikelihoodModel<{ k: number }> = {
      name: "runaway",
      parameterNames: ["k"],
      starts: [[1], [10]],
      hasGradient: true,
      tableLogLikelihood: (theta, _table, gradient) => {
        if (gradient) gradient[0] = 1 / (theta[0]! * theta[0]!);
        return -1 / theta[0]!;
      },
    };
    const table = summaryTable([{ frequency: 1, recency: 1, T: 2 }]);

    // Act
    const fit = fitModel(runaway, table);

    // Assess
    expect(fit.boundary).toEqual(["k"]);
    expect(fit.warnings.join(" ")).toContain("k runs off to ∞");
    expect(JSON.parse(JSON.stringify(fit)).standardErrors.k).toBeNull();
  });

  it("a fit that does not converge is an error with its reason, never an answer", () => {
    // Prepare
    const slow: LikelihoodModel<{ k: number }> = {
      name: "slow",
      parameterNames: ["k"],
      starts: [[1], [10]],
      hasGradient: true,
      // A slow climb, −(ln k − 3.3)⁴: one iteration from k = 1 or 10 cannot reach the top.
      tableLogLikelihood: (theta, _table, gradient) => {
        const u = Math.log(theta[0]!) - 3.3;
        if (gradient) gradient[0] = (-4 * u ** 3) / theta[0]!;
        return -(u ** 4);
      },
    };
    const table = summaryTable([{ frequency: 1, recency: 1, T: 2 }]);
    // Act and assess
    expect(() => fitModel(slow, table, { maxIterations: 1 })).toThrow(ModelFitError);
    expect(() => fitModel(slow, table, { maxIterations: 1 })).toThrow(/did not converge from any of 2 starts/);
  });

  it("a table of more than 10,000 rows, fitted through thinned tables, ends at the maximum all starts find on all rows", () => {
    // Prepare: 30,000 simulated BG/NBD contacts in weeks, nearly every row distinct.
    const customers = simulateBgNbd({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, 30_000, { seed: 5, T: (random) => 27 + random() * 12, roundTo: 0.01 });
    const table = purchaseTable(customers.map((c) => c.summary));
    const ll = (theta: Float64Array, gradient: Float64Array | null) => bgNbd.tableLogLikelihood(theta, table, gradient);

    // Act
    const fit = fitModel(bgNbd, table);
    const direct = maximizeLikelihood(ll, { starts: bgNbd.starts, analyticGradient: true, scale: contactCount(table) });

    // Assess
    expect(table.length).toBeGreaterThan(10_000);
    expect(Math.abs(fit.logLikelihood / direct.logLikelihood - 1)).toBeLessThan(1e-11);
    expect(fit.params.r).toBeCloseTo(direct.theta[0]!, 5);
  });

  it("a million contacts (433,000 rows) are fitted in a handful of passes over all rows, polished from thinned tables close enough to all rows", () => {
    // Prepare: 1,000,000 simulated BG/NBD contacts in days, ages up to two years (npm run bench -- cli's
    // file); each pass over all rows is counted.
    const customers = simulateBgNbd({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, 1_000_000, { seed: 7, T: (random) => 1 + Math.floor(random() * 730), roundTo: 1, spend: { p: 6.25, q: 3.74, gamma: 15.44 } });
    const table = purchaseTable(customers.map((c) => c.summary));
    let fullPasses = 0;
    const counted = { ...bgNbd, tableLogLikelihood: (theta: Float64Array, on: typeof table, gradient: Float64Array | null) => ((fullPasses += on === table ? 1 : 0), bgNbd.tableLogLikelihood(theta, on, gradient)) };

    // Act
    const fit = fitModel(counted, table);

    // Assess: with the thinned tables stopping at 10,000 rows (43 times fewer), the polish on all rows
    // took 224 passes; the standard errors and the boundary check take 5 or 6 more.
    expect(table.length).toBeGreaterThan(400_000);
    expect(Math.abs(fit.params.r! / 0.243 - 1)).toBeLessThan(0.05);
    expect(fullPasses).toBeLessThan(20);
  });

  it("refuses an empty table", () => {
    // Act and assess
    expect(() => fitModel({ name: "x", parameterNames: ["k"], starts: [[1]], hasGradient: true, tableLogLikelihood: () => 0 }, summaryTable([]))).toThrow("no customers");
  });
});
