import { describe, expect, it } from "vitest";
import { summaryTable } from "../../functions/domain/clv/customer-summary.js";
import { fitModel, type LikelihoodModel } from "../../functions/domain/clv/fit.js";
import { ModelFitError } from "../../functions/domain/clv/purchase-model.js";
import { maximizeLikelihood, standardErrors } from "../../functions/domain/numeric/optimizer.js";

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
    const result = maximizeLikelihood(bowl, { starts: [[1, 1], [50, 0.01]], analyticGradient });
    expect(result.converged).toBe(true);
    expect(result.theta[0]).toBeCloseTo(3, 5);
    expect(result.theta[1]).toBeCloseTo(Math.exp(-1), 5);
    expect(result.runs).toHaveLength(2);
  });

  it("says so when a parameter runs off to infinity", () => {
    const rising = (theta: Float64Array, gradient: Float64Array | null) => {
      if (gradient) gradient[0] = 1 / (theta[0]! * theta[0]!);
      return -1 / theta[0]!;
    };
    const result = maximizeLikelihood(rising, { starts: [[1]], analyticGradient: true });
    expect(result.converged).toBe(false);
    expect(result.message).toContain("runs off");
  });

  it("gives standard errors from the curvature: σ of a normal mean is s/√n", () => {
    // Log-likelihood of n = 100 draws with sample mean 5 and σ = 2, in μ: −Σ(xᵢ − μ)² / 2σ², curvature n/σ².
    const ll = (theta: Float64Array, gradient: Float64Array | null) => {
      const mu = theta[0]!;
      if (gradient) gradient[0] = (100 * (5 - mu)) / 4;
      return (-100 * (5 - mu) ** 2) / 8;
    };
    expect(standardErrors(ll, [5], true)[0]).toBeCloseTo(0.2, 6);
    expect(standardErrors(ll, [5], false)[0]).toBeCloseTo(0.2, 3);
  });
});

describe("fitModel", () => {
  it("a fit that does not converge is an error with its reason, never an answer", () => {
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
    expect(() => fitModel(runaway, table)).toThrow(ModelFitError);
    expect(() => fitModel(runaway, table)).toThrow(/did not converge from any of 2 starts .*runs off to 0 or infinity/);
  });

  it("refuses an empty table", () => {
    expect(() => fitModel({ name: "x", parameterNames: ["k"], starts: [[1]], hasGradient: true, tableLogLikelihood: () => 0 }, summaryTable([]))).toThrow("no customers");
  });
});
