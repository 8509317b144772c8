import { spreadBits } from "../numeric/fnv1a.js";
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
  const rows = Array.isArray(summaries) ? (summaries as CustomerSummary[]) : [...summaries];
  const weightList = weights ? Float64Array.from(weights) : undefined;
  const fold = new SummaryFold({ ...options, expectedRows: rows.length });
  for (let i = 0; i < rows.length; i++) {
    const s = rows[i]!;
    fold.add(s.frequency, s.recency, s.T, s.monetaryValue ?? 0, s.logInterPurchaseTimes, weightList ? weightList[i]! : 1);
  }
  return fold.table();
}

/**
 * summaryTable one summary at a time, for a reader that has no summary objects (a CSV file of a
 * million rows is folded as it is read). The table's rows are in the order they were first seen.
 */
export class SummaryFold {
  private readonly ignoreMonetary: boolean;
  /**
   * Rows keyed on frequency and monetary value alone (Gamma-Gamma's table; recency and T 0 in it),
   * three numbers a row (frequency, monetary value, weight) instead of five: the fold of a million
   * contacts' 611,000 repeat buyers touches less memory, and most of its time is memory.
   */
  private readonly spendOnly: boolean;
  private readonly stride: number;
  /** Per slot the row's number (-1 free) and its hash, side by side: a probe that misses reads no row. */
  private slots: Int32Array;
  /** The rows as they are added, side by side (frequency, recency, T, monetary value, weight): a row found is one place in memory, not five. */
  private rows: Float64Array;
  private readonly bits = new Float64Array(4);
  private readonly words = new Int32Array(this.bits.buffer);
  private length = 0;
  private added = 0;
  private logInterPurchaseTimes = 0;
  private everyRowHasLitt = true;

  constructor(options: { ignoreMonetaryValue?: boolean; spendOnly?: boolean; expectedRows?: number } = {}) {
    this.ignoreMonetary = options.ignoreMonetaryValue ?? false;
    this.spendOnly = (options.spendOnly ?? false) && !this.ignoreMonetary;
    this.stride = this.spendOnly ? SPEND_ROW : ROW;
    const rows = Math.max(8, options.expectedRows ?? 1024);
    let capacity = 16;
    while (capacity < rows * 2) capacity *= 2;
    this.slots = new Int32Array(2 * capacity).fill(-1);
    this.rows = new Float64Array(this.stride * rows);
  }

  /** One summary (`logInterPurchaseTimes` undefined when it has none), counted `weight` times. */
  add(frequency: number, recency: number, T: number, monetaryValue: number, logInterPurchaseTimes: number | undefined, weight = 1): void {
    this.added++;
    if (logInterPurchaseTimes === undefined) this.everyRowHasLitt = false;
    else this.logInterPurchaseTimes += weight * logInterPurchaseTimes;
    if (this.spendOnly) {
      this.addSpend(frequency, monetaryValue, weight);
      return;
    }
    const m = this.ignoreMonetary ? 0 : monetaryValue;
    const h = this.hash(frequency, recency, T, m);
    const slots = this.slots;
    const rows = this.rows;
    const mask = (slots.length >> 1) - 1;
    let slot = h & mask;
    for (;;) {
      const at = slots[2 * slot]!;
      if (at < 0) break;
      const row = ROW * at;
      if (slots[2 * slot + 1] === h && rows[row] === frequency && rows[row + 1] === recency && rows[row + 2] === T && rows[row + 3] === m) {
        rows[row + 4]! += weight;
        return;
      }
      slot = (slot + 1) & mask;
    }
    const row = this.place(slot, h);
    this.rows[row] = frequency;
    this.rows[row + 1] = recency;
    this.rows[row + 2] = T;
    this.rows[row + 3] = m;
    this.rows[row + 4] = weight;
  }

  /** add with spendOnly: the row (frequency, monetary value, weight) found or placed. */
  private addSpend(frequency: number, monetaryValue: number, weight: number): void {
    const h = this.hash(frequency, 0, 0, monetaryValue);
    const slots = this.slots;
    const rows = this.rows;
    const mask = (slots.length >> 1) - 1;
    let slot = h & mask;
    for (;;) {
      const at = slots[2 * slot]!;
      if (at < 0) break;
      const row = SPEND_ROW * at;
      if (slots[2 * slot + 1] === h && rows[row] === frequency && rows[row + 1] === monetaryValue) {
        rows[row + 2]! += weight;
        return;
      }
      slot = (slot + 1) & mask;
    }
    const row = this.place(slot, h);
    this.rows[row] = frequency;
    this.rows[row + 1] = monetaryValue;
    this.rows[row + 2] = weight;
  }

  /** A new row in free `slot` (its hash `h`), the rows wider when full: where its numbers go in `rows`. */
  private place(slot: number, h: number): number {
    const at = this.length++;
    if (this.stride * this.length > this.rows.length) {
      const wider = new Float64Array(2 * this.rows.length);
      wider.set(this.rows);
      this.rows = wider;
    }
    this.slots[2 * slot] = at;
    this.slots[2 * slot + 1] = h;
    // At most half full: probes stay short (rehash places rows by their hashes, reading none).
    if (2 * this.length > this.slots.length >> 1) this.rehash();
    return this.stride * at;
  }

  /** The table of what was added so far. */
  table(): SummaryTable {
    const n = this.length;
    const stride = this.stride;
    const column = (k: number) => {
      const values = new Float64Array(n);
      if (k >= 0) for (let i = 0; i < n; i++) values[i] = this.rows[stride * i + k]!;
      return values;
    };
    if (this.spendOnly) return tableOf(column(0), column(-1), column(-1), column(1), column(2), this.everyRowHasLitt && this.added > 0 ? this.logInterPurchaseTimes : undefined);
    return tableOf(column(0), column(1), column(2), column(3), column(4), this.everyRowHasLitt && this.added > 0 ? this.logInterPurchaseTimes : undefined);
  }

  /**
   * FNV-1a over the four doubles' bits, then MurmurHash3's finalizer: multiplying only carries bits
   * upward, and whole-number doubles differ only in their high words, so without the finalizer the
   * low bits (the slot) barely vary and probes ran 3.6 to a row instead of 1.2.
   */
  private hash(frequency: number, recency: number, T: number, monetaryValue: number): number {
    const bits = this.bits;
    const words = this.words;
    bits[0] = frequency;
    bits[1] = recency;
    bits[2] = T;
    bits[3] = monetaryValue;
    let h = 0x811c9dc5;
    for (let k = 0; k < 8; k++) h = Math.imul(h ^ words[k]!, 0x01000193);
    return spreadBits(h);
  }

  /** Twice the slots, every row placed again by its hash. */
  private rehash(): void {
    const old = this.slots;
    const slots = new Int32Array(2 * old.length).fill(-1);
    const mask = (slots.length >> 1) - 1;
    for (let k = 0; k < old.length; k += 2) {
      if (old[k]! < 0) continue;
      let slot = old[k + 1]! & mask;
      while (slots[2 * slot]! >= 0) slot = (slot + 1) & mask;
      slots[2 * slot] = old[k]!;
      slots[2 * slot + 1] = old[k + 1]!;
    }
    this.slots = slots;
  }
}

/** Numbers per row in SummaryFold's rows, and with spendOnly. */
const ROW = 5;
const SPEND_ROW = 3;

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
  const pick = (column: Float64Array) => {
    const picked = new Float64Array(Math.ceil(table.length / step));
    for (let i = 0, k = 0; i < table.length; i += step, k++) picked[k] = column[i]!;
    return picked;
  };
  return tableOf(pick(table.frequency), pick(table.recency), pick(table.T), pick(table.monetaryValue), pick(table.weight).map((w) => w * step), undefined);
}

/**
 * A table from its columns, every table made by this one object literal, logInterPurchaseTimes
 * undefined when there is none: tables of two shapes (a spread made the thinned ones) sent a
 * likelihood's optimized code back to be compiled again, four times in a `clv fit` of 50,000 summaries.
 */
function tableOf(frequency: Float64Array, recency: Float64Array, T: Float64Array, monetaryValue: Float64Array, weight: Float64Array, logInterPurchaseTimes: number | undefined): SummaryTable {
  return { length: frequency.length, frequency, recency, T, monetaryValue, weight, logInterPurchaseTimes };
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
