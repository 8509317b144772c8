/**
 * RFM scores 1–5 (5 best) by quintiles over the contacts with orders, as Connectif's value
 * indicators give them: recency = days since the last order (fewer is better), frequency = number of
 * orders, monetary = average order value. Tied values share one score: a value's score comes from
 * the middle of its tied block's position in the ranking, so the 60 % of contacts with one order all
 * get the same frequency score.
 */
export type RfmScore = 1 | 2 | 3 | 4 | 5;

export const rfmGroups = [
  "Champions",
  "Loyal",
  "Potential loyalists",
  "New customers",
  "Promising",
  "Need attention",
  "About to sleep",
  "At risk",
  "Can't lose them",
  "Hibernating",
  "Lost",
] as const;
export type RfmGroup = (typeof rfmGroups)[number];

/**
 * The group from recency (rows, 5 → 1) and the mean of frequency and monetary rounded (columns,
 * 1 → 5): the customer-segment grid common in RFM practice, every cell named.
 */
const GROUP_GRID: Record<RfmScore, readonly [RfmGroup, RfmGroup, RfmGroup, RfmGroup, RfmGroup]> = {
  5: ["New customers", "Potential loyalists", "Loyal", "Champions", "Champions"],
  4: ["New customers", "Potential loyalists", "Loyal", "Champions", "Champions"],
  3: ["Promising", "Need attention", "Need attention", "Loyal", "Loyal"],
  2: ["Hibernating", "About to sleep", "At risk", "At risk", "Can't lose them"],
  1: ["Lost", "Hibernating", "At risk", "At risk", "Can't lose them"],
};

export function rfmGroup(recency: RfmScore, frequency: RfmScore, monetary: RfmScore): RfmGroup {
  const fm = Math.round((frequency + monetary) / 2) as RfmScore;
  return GROUP_GRID[recency][fm - 1]!;
}

/** The three scores as columns, for scoring a million contacts without a million small objects. */
export function rfmScoreColumns(daysSinceLastOrder: Float64Array, orderCount: Float64Array, averageOrderValue: Float64Array) {
  // Negated so that for all three "higher is better".
  return {
    recency: quintileScores(daysSinceLastOrder.map((d) => -d)),
    frequency: quintileScores(orderCount),
    monetary: quintileScores(averageOrderValue),
  };
}

/**
 * Quintile score of each value (higher value → higher score): 1 + ⌊5 · (below + tied / 2) / n⌋,
 * where `below` counts strictly lower values and `tied` the block of equal ones. One typed-array sort,
 * one pass over its tied blocks, then a look-up per value.
 */
export function quintileScores(values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const sorted = Float64Array.from(values).sort();
  const scoreOf = new Map<number, number>();
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && sorted[end] === sorted[start]) end++;
    scoreOf.set(sorted[start]!, Math.min(5, 1 + Math.floor((5 * (start + (end - start) / 2)) / n)));
    start = end;
  }
  const scores = new Uint8Array(n);
  for (let i = 0; i < n; i++) scores[i] = scoreOf.get(values[i]!)!;
  return scores;
}
