// Reference values: test/fixtures/reference/hyp2f1.csv (origin in test/fixtures/README.md), computed with mpmath at 40 significant digits.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hyp2f1, logHyp2f1, logHyp2f1Complement } from "../../functions/domain/numeric/hypergeometric.js";
import { logGamma } from "../../functions/domain/numeric/log-gamma.js";

interface ReferenceRow {
  a: number;
  b: number;
  c: number;
  z: number;
  logAbsValue: number;
  whereUsed: string;
}

function readReference(): ReferenceRow[] {
  const text = readFileSync(new URL("../fixtures/reference/hyp2f1.csv", import.meta.url), "utf8");
  const [header, ...lines] = text.trim().split(/\r?\n/);
  expect(header).toBe("a,b,c,z,value,log_abs_value,sign,where_used");
  return lines.map((line) => {
    const [a, b, c, z, , logAbsValue, sign, whereUsed] = line.split(",");
    expect(sign).toBe("1");
    return { a: Number(a), b: Number(b), c: Number(c), z: Number(z), logAbsValue: Number(logAbsValue), whereUsed: whereUsed! };
  });
}

/**
 * Largest allowed |log 2F1 − reference|, i.e. relative error of the value. The corner group holds
 * z = 0.999999, written in decimal: the nearest double differs from it by ~3e-17, which moves log 2F1
 * by up to 4.3e-11 at (300.2, 2.5; 301.2) — error of the input, not of the function.
 */
const tolerance: Record<string, number> = {
  "pareto-nbd likelihood": 1e-11,
  "bg-nbd expected purchases": 1e-11,
  corner: 1e-10,
};

describe("logHyp2f1 against mpmath", () => {
  const rows = readReference();
  const groups = [...new Set(rows.map((row) => row.whereUsed))];

  it("covers the groups the models use", () => {
    // Act and assess
    expect(groups.sort()).toEqual(Object.keys(tolerance).sort());
    expect(rows.length).toBe(349);
  });

  for (const group of groups) {
    it(`matches every reference value used for ${group}`, () => {
      // Prepare
      const failures: string[] = [];
      let worst = 0;
      // Act
      for (const row of rows.filter((r) => r.whereUsed === group)) {
        const error = Math.abs(logHyp2f1(row.a, row.b, row.c, row.z) - row.logAbsValue);
        worst = Math.max(worst, Number.isNaN(error) ? Infinity : error);
        if (!(error <= tolerance[group]!)) failures.push(`2F1(${row.a}, ${row.b}; ${row.c}; ${row.z}): log error ${error}`);
      }
      // Assess
      expect(failures).toEqual([]);
      expect(worst).toBeLessThanOrEqual(tolerance[group]!);
    });
  }
});

describe("logHyp2f1 identities", () => {
  it("is 1 at z = 0 and when a or b is 0", () => {
    // Act and assess
    expect(logHyp2f1(3.5, 2.25, 7, 0)).toBe(0);
    expect(hyp2f1(3.5, 2.25, 7, 0)).toBe(1);
    expect(hyp2f1(0, 2.25, 7, 0.9)).toBe(1);
  });

  it("gives 2F1(1, 1; 2; z) = −log(1 − z)/z (DLMF 15.4.2)", () => {
    // Act and assess
    for (const z of [-50, -5, -0.9, -1e-6, 1e-9, 0.3, 0.75, 0.9, 0.99, 0.999999]) {
      const expected = Math.log(-Math.log1p(-z) / z);
      expect(Math.abs(logHyp2f1(1, 1, 2, z) - expected), `z = ${z}`).toBeLessThan(1e-13);
    }
  });

  it("gives 2F1(a, b; b; z) = (1 − z)^(−a) (DLMF 15.4.6)", () => {
    // Act and assess
    for (const [a, b] of [
      [0.5, 3],
      [3, 0.5],
      [2.5, 2.5],
      [30, 1.7],
      [250, 40],
    ] as const) {
      for (const z of [-50, -0.9, 0.1, 0.5, 0.8, 0.95, 0.9999]) {
        const expected = -a * Math.log1p(-z);
        expect(Math.abs(logHyp2f1(a, b, b, z) - expected), `a = ${a}, b = ${b}, z = ${z}`).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected)));
      }
    }
  });

  it("is symmetric in a and b", () => {
    // Act and assess
    for (const z of [-20, -0.5, 0.4, 0.8, 0.999]) {
      expect(logHyp2f1(0.7, 12.5, 4.2, z)).toBeCloseTo(logHyp2f1(12.5, 0.7, 4.2, z), 11);
    }
  });

  it("gives Gauss's sum at z = 1 and NaN outside its domain", () => {
    // Act and assess
    // 2F1(1, 1; 3; 1) = Γ(3)Γ(1)/(Γ(2)Γ(2)) = 2
    expect(hyp2f1(1, 1, 3, 1)).toBeCloseTo(2, 13);
    expect(logHyp2f1(1, 1, 2, 1.5)).toBeNaN();
    expect(logHyp2f1(1, 1, -2, 0.5)).toBeNaN();
  });

  it("takes 1 − z exactly where z itself would round to 1", () => {
    // Act and assess
    for (const w of [0.3, 1e-6, 1e-20, 1e-100, 1e-300]) {
      // Rounding accumulates over the ~log2(1/w) continuation steps, and a result near a finite limit
      // is the difference of two logs of size ~|log w|.
      const tolerance = 1e-13 * Math.max(1, -Math.log(w));
      // 2F1(1, 1; 2; z) = −log(1 − z)/z, and 2F1(a, b; b; z) = (1 − z)^(−a): singular at z = 1
      expect(Math.abs(logHyp2f1Complement(1, 1, 2, w) - Math.log(-Math.log(w) / (1 - w))), `w = ${w}`).toBeLessThan(tolerance);
      expect(Math.abs(logHyp2f1Complement(2.5, 40, 40, w) + 2.5 * Math.log(w)), `w = ${w}`).toBeLessThan(tolerance);
      // c − a − b = 1.2 > 0: tends to Gauss's sum Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b)), off by O(w) here
      if (w < 1e-15) {
        const gauss = logGamma(3.2) + logGamma(1.2) - logGamma(2.7) - logGamma(1.7);
        expect(Math.abs(logHyp2f1Complement(0.5, 1.5, 3.2, w) - gauss), `w = ${w}`).toBeLessThan(tolerance);
      }
    }
    expect(logHyp2f1Complement(0.7, 12.5, 4.2, 0.6)).toBe(logHyp2f1(0.7, 12.5, 4.2, 0.4));
  });

  it("returns the value itself from hyp2f1, overflowing only beyond a double", () => {
    // Act and assess
    expect(hyp2f1(1, 1, 2, 0.5)).toBeCloseTo(2 * Math.log(2), 14);
    expect(hyp2f1(300, 300, 1, 0.99)).toBe(Infinity);
    expect(Number.isFinite(logHyp2f1(300, 300, 1, 0.99))).toBe(true);
  });
});
