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

/**
 * The distinct values of a table's columns, with each row's position among them, so a likelihood
 * pass computes log(α + T) once per distinct T rather than once per row (at daily resolution a
 * million contacts share a few hundred T values).
 */
export interface TableIndex {
  readonly frequencies: Float64Array;
  readonly frequencyOf: Uint32Array;
  readonly Ts: Float64Array;
  readonly TOf: Uint32Array;
  readonly recencies: Float64Array;
  readonly recencyOf: Uint32Array;
}

const indexes = new WeakMap<SummaryTable, TableIndex>();

export function tableIndex(table: SummaryTable): TableIndex {
  let index = indexes.get(table);
  if (!index) {
    const f = distinct(table.frequency);
    const t = distinct(table.T);
    const r = distinct(table.recency);
    index = { frequencies: f.values, frequencyOf: f.of, Ts: t.values, TOf: t.of, recencies: r.values, recencyOf: r.of };
    indexes.set(table, index);
  }
  return index;
}

function distinct(column: Float64Array): { values: Float64Array; of: Uint32Array } {
  const position = new Map<number, number>();
  const values: number[] = [];
  const of = new Uint32Array(column.length);
  for (let i = 0; i < column.length; i++) {
    const v = column[i]!;
    let at = position.get(v);
    if (at === undefined) {
      at = values.length;
      position.set(v, at);
      values.push(v);
    }
    of[i] = at;
  }
  return { values: Float64Array.from(values), of };
}
