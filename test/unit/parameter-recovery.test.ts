import { describe, expect, it } from "vitest";
import { bgNbd, type BgNbdParams } from "../../functions/domain/clv/bg-nbd.js";
import { summaryTable } from "../../functions/domain/clv/customer-summary.js";
import { fitModel } from "../../functions/domain/clv/fit.js";
import { fitGammaGamma } from "../../functions/domain/clv/gamma-gamma.js";
import { simulateBgNbd } from "../support/simulate.js";

/**
 * 50,000 contacts drawn from known BG/NBD and Gamma-Gamma parameters (the CDNOW estimates, in weeks,
 * first purchases spread over 12 weeks, observed 39–52 weeks): the maximum-likelihood estimates must
 * land within three standard errors of the truth. With seven parameters checked, a 2-SE band would fail
 * by chance about one run in three (1 − 0.95⁷); at 3 SE a sound fit fails one run in 50, while a biased
 * likelihood or optimizer still fails at once. One fixed seed, so the run is repeatable.
 */
describe("parameter recovery on 50,000 simulated contacts", () => {
  const truth = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
  const spend = { p: 6.25, q: 3.74, gamma: 15.44 };
  const customers = simulateBgNbd(truth, 50_000, { seed: 20_240_601, T: (random) => 39 + 13 * random(), spend });
  const summaries = customers.map((c) => c.summary);

  it("recovers BG/NBD r, α, a, b", () => {
    // Act
    const fit = fitModel<BgNbdParams>(bgNbd, summaryTable(summaries));
    // Assess
    for (const name of ["r", "alpha", "a", "b"] as const) {
      const se = fit.standardErrors[name];
      expect(se, name).toBeGreaterThan(0);
      expect(Math.abs(fit.params[name] - truth[name]), `${name}: ${fit.params[name]} ± ${se} vs ${truth[name]}`).toBeLessThan(3 * se);
    }
  });

  it("recovers Gamma-Gamma p, q, γ", () => {
    // Act
    const fit = fitGammaGamma(summaries);
    // Assess
    for (const name of ["p", "q", "gamma"] as const) {
      const se = fit.standardErrors[name];
      expect(Math.abs(fit.params[name] - spend[name]), `${name}: ${fit.params[name]} ± ${se} vs ${spend[name]}`).toBeLessThan(3 * se);
    }
  });
});
