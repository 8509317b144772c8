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

/**
 * Where each score starts, per figure: the smallest value scoring 2, 3, 4 and 5 (Infinity when no value
 * does). A night's scale is kept with its model run, so one scan segment, or one contact changed between
 * nights, is scored on the whole store's quintiles without reading the whole store.
 */
export type QuintileCutoffs = readonly [number, number, number, number];

/** The three scales; recency is kept on −days since the last order, so that for all three higher is better. */
export interface RfmScale {
  recency: QuintileCutoffs;
  frequency: QuintileCutoffs;
  monetary: QuintileCutoffs;
}

export function rfmScale(daysSinceLastOrder: ArrayLike<number>, orderCount: ArrayLike<number>, averageOrderValue: ArrayLike<number>): RfmScale {
  return {
    recency: quintileCutoffs(daysSinceLastOrder, -1),
    frequency: quintileCutoffs(orderCount),
    monetary: quintileCutoffs(averageOrderValue),
  };
}

/** The three scores as columns, on a scale (the store's own by default), into the given arrays when there are some. */
export function rfmScoreColumns(
  daysSinceLastOrder: Float64Array,
  orderCount: Float64Array,
  averageOrderValue: Float64Array,
  scale = rfmScale(daysSinceLastOrder, orderCount, averageOrderValue),
  into?: { recency: Uint8Array; frequency: Uint8Array; monetary: Uint8Array },
) {
  return {
    recency: scoresOnCutoffs(daysSinceLastOrder, scale.recency, -1, into?.recency),
    frequency: scoresOnCutoffs(orderCount, scale.frequency, 1, into?.frequency),
    monetary: scoresOnCutoffs(averageOrderValue, scale.monetary, 1, into?.monetary),
  };
}

/**
 * Quintile cutoffs of the values (higher value → higher score): a value scores
 * 1 + ⌊5 · (below + tied / 2) / n⌋, where `below` counts strictly lower values and `tied` the block of
 * equal ones; that score never falls as the value rises, so four cutoffs describe it. With sign −1,
 * the cutoffs of the negated values (no negated copy is made).
 */
export function quintileCutoffs(values: ArrayLike<number>, sign: 1 | -1 = 1): QuintileCutoffs {
  const counted = wholeNumberCounts(values, sign);
  if (counted) return quintileCutoffsOfCounts(counted.distinct, counted.counts);
  const n = values.length;
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) sorted[i] = sign * values[i]!;
  sorted.sort();
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && sorted[end] === sorted[start]) end++;
    distinct.push(sorted[start]!);
    counts.push(end - start);
    start = end;
  }
  return quintileCutoffsOfCounts(distinct, counts);
}

/**
 * Ascending distinct values and their counts by counting, not sorting, when every value is a whole
 * number within a span of at most four times their number (days since the last order, order counts: a
 * million contacts' are counted in milliseconds where a sort takes a tenth of a second); undefined
 * otherwise. A tie of 0 and −0 is −0 when there is one, as the sort gives it.
 */
function wholeNumberCounts(values: ArrayLike<number>, sign: 1 | -1): { distinct: Float64Array; counts: Int32Array } | undefined {
  const n = values.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = sign * values[i]!;
    if (!Number.isInteger(v)) return undefined;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0 || max - min > 4 * n + 64) return undefined;
  const perValue = new Int32Array(max - min + 1);
  let negativeZero = false;
  for (let i = 0; i < n; i++) {
    const v = sign * values[i]!;
    perValue[v - min]!++;
    if (v === 0 && 1 / v < 0) negativeZero = true;
  }
  let kinds = 0;
  for (let k = 0; k < perValue.length; k++) if (perValue[k]! > 0) kinds++;
  const distinct = new Float64Array(kinds);
  const counts = new Int32Array(kinds);
  for (let k = 0, j = 0; k < perValue.length; k++) {
    if (perValue[k] === 0) continue;
    distinct[j] = min + k === 0 && negativeZero ? -0 : min + k;
    counts[j++] = perValue[k]!;
  }
  return { distinct, counts };
}

/** The same cutoffs from a distribution: ascending distinct values and how many contacts have each. */
export function quintileCutoffsOfCounts(distinct: ArrayLike<number>, counts: ArrayLike<number>): QuintileCutoffs {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i]!;
  const cutoffs = [Infinity, Infinity, Infinity, Infinity];
  let below = 0;
  for (let i = 0; i < distinct.length; i++) {
    const tied = counts[i]!;
    const score = Math.min(5, 1 + Math.floor((5 * (below + tied / 2)) / n));
    for (let s = 2; s <= score; s++) cutoffs[s - 2] = Math.min(cutoffs[s - 2]!, distinct[i]!);
    below += tied;
  }
  return cutoffs as unknown as QuintileCutoffs;
}

export function scoreOnCutoffs(value: number, cutoffs: QuintileCutoffs): RfmScore {
  let score = 1;
  for (const cutoff of cutoffs) if (value >= cutoff) score++;
  return score as RfmScore;
}

/** Each value's score, or each negated value's with sign −1 (no negated copy of a million values), into `scores` when given. */
function scoresOnCutoffs(values: ArrayLike<number>, cutoffs: QuintileCutoffs, sign: 1 | -1 = 1, scores: Uint8Array = new Uint8Array(values.length)): Uint8Array {
  // scoreOnCutoffs written out: a loop over the four cutoffs per value cost twice as much.
  const [c2, c3, c4, c5] = cutoffs;
  for (let i = 0; i < values.length; i++) {
    const v = sign * values[i]!;
    scores[i] = 1 + (v >= c2 ? 1 : 0) + (v >= c3 ? 1 : 0) + (v >= c4 ? 1 : 0) + (v >= c5 ? 1 : 0);
  }
  return scores;
}

/** Quintile score of each value among themselves. */
export function quintileScores(values: ArrayLike<number>): Uint8Array {
  return scoresOnCutoffs(values, quintileCutoffs(values));
}
