/**
 * A contact's purchase history in the `lifetimes` convention (Fader, Hardie & Lee 2005):
 * - frequency: repeat purchase occasions (purchase days after the first),
 * - recency: time from the first to the last purchase occasion,
 * - T: time from the first purchase occasion to the as-of date,
 * - monetaryValue: mean value of the repeat purchase occasions (0 without repeats).
 * Times are in one unit chosen by the caller (days, weeks).
 */
export interface CustomerSummary {
  frequency: number;
  recency: number;
  T: number;
  monetaryValue?: number;
}

/**
 * Identical summaries counted once with a weight, stored column-wise so a likelihood
 * pass over a million contacts touches only their distinct rows.
 */
export interface SummaryTable {
  readonly length: number;
  readonly frequency: Float64Array;
  readonly recency: Float64Array;
  readonly T: Float64Array;
  readonly monetaryValue: Float64Array;
  readonly weight: Float64Array;
}

/** Folds identical (frequency, recency, T, monetaryValue) rows into one weighted row. */
export function summaryTable(summaries: Iterable<CustomerSummary>, weights?: Iterable<number>): SummaryTable {
  const index = new Map<string, number>();
  const frequency: number[] = [];
  const recency: number[] = [];
  const T: number[] = [];
  const monetaryValue: number[] = [];
  const weight: number[] = [];
  const weightIterator = weights?.[Symbol.iterator]();
  for (const s of summaries) {
    const w = weightIterator ? Number(weightIterator.next().value ?? 1) : 1;
    const m = s.monetaryValue ?? 0;
    const key = `${s.frequency}|${s.recency}|${s.T}|${m}`;
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, frequency.length);
      frequency.push(s.frequency);
      recency.push(s.recency);
      T.push(s.T);
      monetaryValue.push(m);
      weight.push(w);
    } else {
      weight[at] = (weight[at] ?? 0) + w;
    }
  }
  return {
    length: frequency.length,
    frequency: Float64Array.from(frequency),
    recency: Float64Array.from(recency),
    T: Float64Array.from(T),
    monetaryValue: Float64Array.from(monetaryValue),
    weight: Float64Array.from(weight),
  };
}

/** Total weight (number of contacts) of a table. */
export function contactCount(table: SummaryTable): number {
  let n = 0;
  for (let i = 0; i < table.length; i++) n += table.weight[i]!;
  return n;
}
