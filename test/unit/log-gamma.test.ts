import { describe, expect, it } from "vitest";
import { logGamma, logGammaRatio } from "../../functions/domain/numeric/log-gamma.js";

describe("logGammaRatio", () => {
  it("is log Γ(z + h) − log Γ(z) for small and moderate z", () => {
    // Prepare: Γ(5)/Γ(2) = 24, Γ(3.5)/Γ(0.5) = 1.5 · 2.5 · 0.5 = 1.875.
    // Act and assess
    expect(logGammaRatio(2, 3)).toBeCloseTo(Math.log(24), 13);
    expect(logGammaRatio(0.5, 3)).toBeCloseTo(Math.log(1.875), 13);
    expect(logGammaRatio(150.25, 7.5)).toBeCloseTo(logGamma(157.75) - logGamma(150.25), 9);
  });

  it("keeps its digits where the two log Γ are huge: Γ(z + h)/Γ(z) = z(z+1)…(z+h−1) for whole h", () => {
    for (const z of [1e3, 1e6, 1.2e12]) {
      // Prepare
      let exact = 0;
      for (let i = 0; i < 5; i++) exact += Math.log(z + i);

      // Act
      const ratio = logGammaRatio(z, 5);

      // Assess: to 1e-14 relative; the difference of the two log Γ loses ~13 digits at z = 1e12.
      expect(Math.abs(ratio - exact) / exact).toBeLessThan(1e-14);
    }
  });
});
