import type { ContactScores } from "../clv/contact-scores.js";

export interface HistogramBin {
  /** Inclusive lower edge. */
  x0: number;
  /** Exclusive upper edge (inclusive for the last bin of a closed range). */
  x1: number;
  count: number;
}

export interface Histogram {
  bins: HistogramBin[];
  /** Values at or above the last bin's upper edge (an open-ended tail), when the range is not closed. */
  above: number;
  /** Contacts without the figure (no prediction). */
  missing: number;
  /** Contacts with the figure. */
  counted: number;
}

/**
 * Counts values into `bins` bins of equal `width` from `start`. With `closed`, the last bin also
 * takes values equal to its upper edge (a probability of exactly 1); otherwise values from there up
 * are counted in `above`. Values below `start` count in the first bin.
 */
export function histogram(values: Iterable<number | null>, options: { start: number; width: number; bins: number; closed?: boolean }): Histogram {
  const { start, width, bins } = options;
  const counts = new Array<number>(bins).fill(0);
  let above = 0;
  let missing = 0;
  let counted = 0;
  for (const v of values) {
    if (v === null || Number.isNaN(v)) {
      missing++;
      continue;
    }
    counted++;
    // The nudge keeps a value on an edge (0.15 / 0.05 = 2.9999…) in the bin that starts there.
    const i = Math.max(0, Math.floor((v - start) / width + 1e-9));
    if (i < bins) counts[i]!++;
    else if (options.closed && v <= start + bins * width) counts[bins - 1]!++;
    else above++;
  }
  return { bins: counts.map((count, i) => ({ x0: start + i * width, x1: start + (i + 1) * width, count })), above, missing, counted };
}

/** The smallest 1, 2 or 5 × 10^k at or above `x`: bin widths a reader can add up. */
export function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 5, 10]) if (m * power >= x * (1 - 1e-12)) return m * power;
  return 10 * power;
}

/** The q-quantile (0..1) of the values, by the nearest rank; undefined for none. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Predicted CLV (12 months) in about `bins` bins of a round width up to its 99th percentile, the rest
 * in `above`: CLV is heavy-tailed, and a range to the maximum would put almost everyone in one bin.
 */
export function predictedClvHistogram(scores: readonly ContactScores[], bins = 30): Histogram {
  const values = scores.flatMap((s) => (s.predictedClv12m === null ? [] : [s.predictedClv12m]));
  const top = quantile(values, 0.99) ?? 0;
  const width = niceStep(top / bins);
  return histogram(
    scores.map((s) => s.predictedClv12m),
    { start: 0, width, bins: Math.floor(top / width) + 1 },
  );
}

/** Churn risk in 20 bins of 0.05 over [0, 1]; the bands' edges (0.33, 0.66) are drawn over it. */
export function churnRiskHistogram(scores: readonly ContactScores[]): Histogram {
  return histogram(
    scores.map((s) => s.churnRisk),
    { start: 0, width: 0.05, bins: 20, closed: true },
  );
}
