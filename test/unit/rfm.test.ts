import { describe, expect, it } from "vitest";
import { quintileCutoffs, quintileCutoffsOfCounts, quintileScores, rfmGroup, rfmScoreColumns } from "../../functions/domain/clv/rfm.js";

describe("RFM scores", () => {
  it("gives quintiles 1–5 on distinct values", () => {
    // Act and assess
    expect([...quintileScores([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])]).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });

  it("gives tied values one score", () => {
    // Prepare
    const orders = [1, 1, 1, 1, 1, 1, 2, 2, 3, 9];
    const scores = [...quintileScores(orders)];
    // Act and assess
    expect(new Set(scores.slice(0, 6)).size).toBe(1);
    expect(scores[6]).toBe(scores[7]);
    expect(scores[0]).toBeLessThan(scores[6]!);
    expect(scores[9]).toBe(5);
  });

  it("scores recency so that the most recent buyers get 5", () => {
    // Prepare
    const ones = Float64Array.of(1, 1, 1, 1, 1);
    // Act
    const { recency } = rfmScoreColumns(Float64Array.of(1, 10, 100, 200, 300), ones, ones);
    // Assess
    expect([...recency]).toEqual([5, 4, 3, 2, 1]);
  });

  it("a single contact gets a middle score, not an extreme", () => {
    // Act and assess
    expect([...quintileScores([42])]).toEqual([3]);
  });

  it("names groups from the grid", () => {
    // Act and assess
    expect(rfmGroup(5, 5, 5)).toBe("Champions");
    expect(rfmGroup(1, 5, 5)).toBe("Can't lose them");
    expect(rfmGroup(1, 1, 1)).toBe("Lost");
    expect(rfmGroup(1, 4, 3)).toBe("At risk");
    expect(rfmGroup(5, 1, 1)).toBe("New customers");
  });

  it("gives the same cutoffs when whole-number values are counted as when they are sorted (−0 and 0 tied as −0)", () => {
    // Prepare: days since the last order (negated, so 0 becomes −0), order counts, a wide span, and values that are not whole.
    let seed = 5;
    const random = (k: number) => (seed = (seed * 48271) % 2147483647) % k;
    const sets = [
      Float64Array.from({ length: 20_000 }, () => -random(730)),
      Float64Array.from({ length: 20_000 }, () => 1 + (random(10) === 0 ? random(40) : 0)),
      Float64Array.from({ length: 1_000 }, () => random(1_000_000)),
      Float64Array.from({ length: 5_000 }, () => random(3_000) / 100),
      // Average order values: a long tail, one far outlier, big ties, −0 among decimals.
      Float64Array.from({ length: 50_000 }, () => Math.exp(random(1_000) / 100) / 3),
      Float64Array.from({ length: 10_000 }, (_, i) => (i === 0 ? 1e12 : random(500) / 7)),
      Float64Array.from({ length: 10_000 }, () => (random(4) === 0 ? 12.5 : random(3) === 0 ? 99.99 : random(100_000) / 1000)),
      Float64Array.from({ length: 1_000 }, (_, i) => (i % 3 === 0 ? -0 : i % 3 === 1 ? 0 : random(100) / 3 - 10)),
      Float64Array.of(0, -0, 0, 3),
      Float64Array.of(7),
    ];
    /** The cutoffs by sorting, as quintileCutoffs reads any values. */
    const bySorting = (values: Float64Array) => {
      const sorted = Float64Array.from(values).sort();
      const distinct: number[] = [];
      const counts: number[] = [];
      for (const v of sorted) {
        if (distinct.length > 0 && distinct.at(-1) === v) counts[counts.length - 1]!++;
        else distinct.push(v), counts.push(1);
      }
      return quintileCutoffsOfCounts(distinct, counts);
    };
    // Act and assess
    for (const values of sets) expect(quintileCutoffs(values)).toEqual(bySorting(values));
    expect(Object.is(quintileCutoffs(Float64Array.of(0, -0, 0, 1))[0], -0)).toBe(true);
  });
});
