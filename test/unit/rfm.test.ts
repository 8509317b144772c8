import { describe, expect, it } from "vitest";
import { quintileScores, rfmGroup, rfmScoreColumns } from "../../functions/domain/clv/rfm.js";

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
});
