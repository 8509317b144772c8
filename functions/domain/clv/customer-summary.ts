/**
 * A contact's purchase history in the `lifetimes` convention (Fader, Hardie & Lee 2005):
 * - frequency: repeat purchase occasions (purchase days after the first),
 * - recency: time from the first to the last purchase occasion,
 * - T: time from the first purchase occasion to the as-of date,
 * - monetaryValue: mean value of the repeat purchase occasions (0 without repeats),
 * - logInterPurchaseTimes: Σ log(time between consecutive purchase occasions), 0 without repeats
 *   (BTYDplus's `litt`): what MBG/CNBD-k chooses its regularity k by (mbg-cnbd-k.ts).
 * Times are in one unit chosen by the caller (days, weeks).
 */
export interface CustomerSummary {
  frequency: number;
  recency: number;
  T: number;
  monetaryValue?: number;
  logInterPurchaseTimes?: number;
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
  /**
   * Σ weight · logInterPurchaseTimes over all rows, when every summary had it. Only this total enters
   * a likelihood (MBG/CNBD-k's k-dependent factor), so rows fold on (x, tₓ, T) alone and stay few.
   */
  readonly logInterPurchaseTimes?: number;
}

/**
 * Folds identical (frequency, recency, T, monetaryValue) rows into one weighted row. Open addressing
 * on a hash of the four doubles' bits: a million contacts fold in tens of milliseconds, where string
 * keys in a Map would take seconds.
 */
export function summaryTable(summaries: Iterable<CustomerSummary>, weights?: Iterable<number>, options: { ignoreMonetaryValue?: boolean } = {}): SummaryTable {
  const ignoreMonetary = options.ignoreMonetaryValue ?? false;
  const rows = Array.isArray(summaries) ? (summaries as CustomerSummary[]) : [...summaries];
  const weightList = weights ? Float64Array.from(weights) : undefined;
  let capacity = 16;
  while (capacity < rows.length * 2) capacity *= 2;
  const slots = new Int32Array(capacity).fill(-1);
  const frequency = new Float64Array(rows.length);
  const recency = new Float64Array(rows.length);
  const T = new Float64Array(rows.length);
  const monetaryValue = new Float64Array(rows.length);
  const weight = new Float64Array(rows.length);
  const bits = new Float64Array(4);
  const words = new Int32Array(bits.buffer);
  let length = 0;
  let logInterPurchaseTimes = 0;
  let everyRowHasLitt = rows.length > 0;
  for (let i = 0; i < rows.length; i++) {
    const s = rows[i]!;
    if (s.logInterPurchaseTimes === undefined) everyRowHasLitt = false;
    else logInterPurchaseTimes += (weightList ? weightList[i]! : 1) * s.logInterPurchaseTimes;
    const x = s.frequency;
    const tx = s.recency;
    const t = s.T;
    const m = ignoreMonetary ? 0 : (s.monetaryValue ?? 0);
    bits[0] = x;
    bits[1] = tx;
    bits[2] = t;
    bits[3] = m;
    let h = 0x811c9dc5;
    for (let k = 0; k < 8; k++) h = Math.imul(h ^ words[k]!, 0x01000193);
    let slot = (h ^ (h >>> 15)) & (capacity - 1);
    for (;;) {
      const at = slots[slot]!;
      if (at < 0) {
        slots[slot] = length;
        frequency[length] = x;
        recency[length] = tx;
        T[length] = t;
        monetaryValue[length] = m;
        weight[length] = weightList ? weightList[i]! : 1;
        length++;
        break;
      }
      if (frequency[at] === x && recency[at] === tx && T[at] === t && monetaryValue[at] === m) {
        weight[at]! += weightList ? weightList[i]! : 1;
        break;
      }
      slot = (slot + 1) & (capacity - 1);
    }
  }
  return {
    length,
    frequency: frequency.slice(0, length),
    recency: recency.slice(0, length),
    T: T.slice(0, length),
    monetaryValue: monetaryValue.slice(0, length),
    weight: weight.slice(0, length),
    ...(everyRowHasLitt && { logInterPurchaseTimes }),
  };
}

/** The table purchase models fit on: spend plays no part there, so rows differing only in it fold together. */
export function purchaseTable(summaries: Iterable<CustomerSummary>): SummaryTable {
  return summaryTable(summaries, undefined, { ignoreMonetaryValue: true });
}

/**
 * Every k-th row of a table with its weight multiplied by k: a cheap stand-in of the same shape, on
 * which to try starting points before polishing the best on the whole table.
 */
export function thinnedTable(table: SummaryTable, rows: number): SummaryTable {
  const step = Math.max(1, Math.floor(table.length / rows));
  const pick = (column: Float64Array) => column.filter((_, i) => i % step === 0);
  const thinned = {
    frequency: pick(table.frequency),
    recency: pick(table.recency),
    T: pick(table.T),
    monetaryValue: pick(table.monetaryValue),
    weight: pick(table.weight).map((w) => w * step),
  };
  return { length: thinned.frequency.length, ...thinned };
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
