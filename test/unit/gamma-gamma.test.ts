import { describe, expect, it } from "vitest";
import { expectedOrderValue, fitGammaGamma } from "../../functions/domain/clv/gamma-gamma.js";
import { cdnowSummaries } from "../support/cdnow.js";

// Published figures: test/fixtures/README.md (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").
describe("Gamma-Gamma on the CDNOW sample's 946 repeat buyers", () => {
  const summaries = cdnowSummaries();
  const fit = fitGammaGamma(summaries);

  it("reproduces p = 6.25, q = 3.74, γ = 15.44", () => {
    // Act and assess
    expect(fit.customers).toBe(946);
    expect(fit.params.p).toBeCloseTo(6.25, 1); // Fader & Hardie (2013)
    expect(fit.params.q).toBeCloseTo(3.74, 1);
    expect(fit.params.gamma).toBeCloseTo(15.44, 0);
  });

  it("implies a mean spend of $35.22 against $35.08 observed", () => {
    // Act
    const { p, q, gamma } = fit.params;
    // Assess
    expect((p * gamma) / (q - 1)).toBeCloseTo(35.22, 0); // Fader & Hardie (2013)
    const repeat = summaries.filter((s) => s.frequency > 0);
    const observed = repeat.reduce((sum, s) => sum + s.monetaryValue!, 0) / repeat.length;
    expect(observed).toBeCloseTo(35.08, 1);
  });

  it("shrinks a customer's own mean toward the population mean, less so with more orders", () => {
    // Prepare
    const populationMean = (fit.params.p * fit.params.gamma) / (fit.params.q - 1);
    const one = expectedOrderValue(fit.params, 1, 100);
    // Act
    const ten = expectedOrderValue(fit.params, 10, 100);
    // Assess
    expect(one).toBeGreaterThan(populationMean);
    expect(one).toBeLessThan(ten);
    expect(ten).toBeLessThan(100);
    expect(expectedOrderValue(fit.params, 0, 0)).toBeCloseTo(populationMean, 10);
  });
});
