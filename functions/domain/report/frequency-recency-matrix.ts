import { purchaseModels, type ModelRun } from "../clv/model-run.js";
import { dayNumber, DAYS_PER_UNIT, parseDate, type ContactHistory, type TimeUnit } from "../clv/order-history.js";
import { predictorOf, type PurchaseModelName } from "../clv/purchase-model.js";

export interface FrequencyRecencyCell {
  frequency: number;
  /** In the run's time unit. */
  recency: number;
  /** E[purchases in the next period | frequency, recency, T]. */
  expectedPurchases: number;
  probabilityAlive: number;
}

export interface FrequencyRecencyMatrix {
  model: PurchaseModelName;
  unit: TimeUnit;
  /** The age every cell assumes: the oldest contact's, in the run's unit (lifetimes: max T). */
  T: number;
  /** Length of "the next period" of expectedPurchases, in days. */
  periodDays: number;
  frequencies: number[];
  recencies: number[];
  /** Row-major: recencies × frequencies. */
  cells: FrequencyRecencyCell[];
  /** Contacts whose frequency is beyond the last column (the columns stop at a high percentile). */
  beyond: number;
}

export interface FrequencyRecencyOptions {
  /** "The next period" for expected purchases, in days. */
  periodDays: number;
  /** Columns and rows at most: an SVG heatmap draws one rect per cell. */
  maxColumns: number;
  maxRows: number;
  /** The frequency axis ends at this quantile of the contacts' frequencies (lifetimes: the max). */
  frequencyQuantile: number;
}

export const defaultFrequencyRecencyOptions: FrequencyRecencyOptions = { periodDays: 30, maxColumns: 31, maxRows: 30, frequencyQuantile: 0.99 };

/**
 * Expected purchases in the next period and P(alive) for a contact of the oldest age T, over a grid
 * of frequency (repeat purchases) and recency (age at the last purchase), as lifetimes'
 * plot_frequency_recency_matrix and plot_probability_alive_matrix compute them (T = max T, one value
 * per cell) with the chosen model refitted on all data. Unlike lifetimes, which plots every integer
 * up to the largest frequency and T, the axes are sampled to at most maxColumns × maxRows cells, and
 * the frequency axis ends at a high quantile so that a few wholesalers do not squeeze everyone else
 * into one column. Undefined without a chosen model.
 */
export function frequencyRecencyMatrix(
  run: ModelRun,
  histories: readonly ContactHistory[],
  options: FrequencyRecencyOptions = defaultFrequencyRecencyOptions,
): FrequencyRecencyMatrix | undefined {
  const fit = run.purchaseModel;
  if (!fit || histories.length === 0) return undefined;
  const unitDays = DAYS_PER_UNIT[run.unit];
  const lastDay = dayNumber(parseDate(run.asOf));
  const frequencies: number[] = [];
  let oldest = 0;
  for (const h of histories) {
    const first = h.purchaseDays[0]!;
    if (first > lastDay) continue;
    let repeats = 0;
    for (let i = 1; i < h.purchaseDays.length && h.purchaseDays[i]! <= lastDay; i++) repeats++;
    frequencies.push(repeats);
    oldest = Math.max(oldest, lastDay - first);
  }
  if (frequencies.length === 0) return undefined;
  frequencies.sort((x, y) => x - y);
  const topFrequency = Math.max(1, frequencies[Math.min(frequencies.length - 1, Math.ceil(options.frequencyQuantile * frequencies.length) - 1)]!);
  const frequencyStep = Math.ceil((topFrequency + 1) / options.maxColumns);
  const frequencyAxis = Array.from({ length: Math.floor(topFrequency / frequencyStep) + 1 }, (_, i) => i * frequencyStep);
  const T = oldest / unitDays;
  const rows = Math.min(options.maxRows, oldest + 1);
  const recencyAxis = Array.from({ length: rows }, (_, i) => (rows === 1 ? 0 : (i * T) / (rows - 1)));
  const predict = predictorOf(purchaseModels[fit.model], fit.params, options.periodDays / unitDays, options.periodDays / unitDays);
  const cells: FrequencyRecencyCell[] = [];
  for (const recency of recencyAxis) {
    for (const frequency of frequencyAxis) {
      const p = predict({ frequency, recency, T });
      cells.push({ frequency, recency, expectedPurchases: p.expectedPurchases, probabilityAlive: p.probabilityAlive });
    }
  }
  const lastColumn = frequencyAxis[frequencyAxis.length - 1]!;
  return {
    model: fit.model,
    unit: run.unit,
    T,
    periodDays: options.periodDays,
    frequencies: frequencyAxis,
    recencies: recencyAxis,
    cells,
    beyond: frequencies.filter((f) => f > lastColumn).length,
  };
}
