/**
 * RFM scores 1–5 (5 best) by quintiles over the contacts with orders, as Connectif's value
 * indicators give them: recency = days since the last order (fewer is better), frequency = number of
 * orders, monetary = average order value. Tied values share one score: a value's score comes from
 * the middle of its tied block's position in the ranking, so the 60 % of contacts with one order all
 * get the same frequency score.
 */
export type RfmScore = 1 | 2 | 3 | 4 | 5;

export interface RfmInput {
  daysSinceLastOrder: number;
  orderCount: number;
  averageOrderValue: number;
}

export interface RfmScores {
  rfmRecency: RfmScore;
  rfmFrequency: RfmScore;
  rfmMonetary: RfmScore;
  rfmGroup: RfmGroup;
}

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
  return GROUP_GRID[recency][fm - 1];
}

/** Scores every contact; the result is aligned with the input. */
export function rfmScores(contacts: readonly RfmInput[]): RfmScores[] {
  // Negated so that for all three "higher is better".
  const recency = quintileScores(contacts.map((c) => -c.daysSinceLastOrder));
  const frequency = quintileScores(contacts.map((c) => c.orderCount));
  const monetary = quintileScores(contacts.map((c) => c.averageOrderValue));
  return contacts.map((_, i) => {
    const r = recency[i]!;
    const f = frequency[i]!;
    const m = monetary[i]!;
    return { rfmRecency: r, rfmFrequency: f, rfmMonetary: m, rfmGroup: rfmGroup(r, f, m) };
  });
}

/**
 * Quintile score of each value (higher value → higher score): 1 + ⌊5 · (below + tied / 2) / n⌋,
 * where `below` counts strictly lower values and `tied` the block of equal ones.
 */
export function quintileScores(values: readonly number[]): RfmScore[] {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const scores = new Array<RfmScore>(n);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    const midpoint = (start + (end - start) / 2) / n;
    const score = Math.min(5, 1 + Math.floor(5 * midpoint)) as RfmScore;
    for (let k = start; k < end; k++) scores[order[k]!] = score;
    start = end;
  }
  return scores;
}
