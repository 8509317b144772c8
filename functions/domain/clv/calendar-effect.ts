import { MS_PER_DAY } from "./order-history.js";

/**
 * A calendar-time adjustment of the purchase rate, estimated from the store's own aggregate purchase
 * series: log(purchases in month m) = level + trend · m + index(month of year), by least squares over
 * complete calendar months (a month-of-year index and a trend on the aggregate, as in classical
 * seasonal decomposition). The input is purchases per calendar month — a sum, so a nightly fold of scan
 * segments can build it (history-fold.ts, monthlyPurchases). The buy-till-you-die models assume a
 * constant rate in calendar time; a forecast window's expected purchases are multiplied by the rate of
 * that window relative to the rate of the window the model was fitted on.
 */
export interface CalendarEffect {
  /** Whether an effect could be estimated at all; when not, `reason` says why. */
  estimated: boolean;
  reason: string;
  /** Complete calendar months it was estimated on. */
  months: number;
  /** Multiplicative month-of-year index, January first, geometric mean 1. */
  monthIndex?: number[];
  /** Growth of the purchase rate per year (e^(12 · monthly trend)); 1 without a trend. */
  yearlyTrend?: number;
}

/** Below this many complete months, no month of the year has been seen once: nothing is guessed. */
export const MONTHS_FOR_SEASON = 12;
/** From this many, a trend is estimated with the index (each month of the year seen twice). */
export const MONTHS_FOR_TREND = 24;

const monthNumber = (key: string) => Number(key.slice(0, 4)) * 12 + Number(key.slice(5, 7)) - 1;
const monthKey = (m: number) => `${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}`;
const monthOfDay = (day: number) => {
  const d = new Date(day * MS_PER_DAY);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};

/**
 * The effect from the purchases per month ("YYYY-MM" → purchases) known by `endDay` (exclusive): the
 * first month (the store may have opened mid-month) and the month of `endDay` (not over) are left out.
 */
export function estimateCalendarEffect(monthlyPurchases: ReadonlyMap<string, number>, endDay: number, model?: ModelMonthlyRepeats): CalendarEffect {
  const lastComplete = monthOfDay(endDay) - 1;
  const keys = [...monthlyPurchases.keys()].map(monthNumber).sort((a, b) => a - b);
  const first = keys[0];
  const series: { month: number; log: number; weight: number }[] = [];
  if (first !== undefined) {
    for (let m = first + 1; m <= lastComplete; m++) {
      const key = monthKey(m);
      const purchases = monthlyPurchases.get(key) ?? 0;
      if (!model) {
        series.push({ month: m, log: Math.log(Math.max(purchases, 0.5)), weight: 1 });
        continue;
      }
      // Repeat purchases against what the model expects of the contacts acquired so far, weighted by
      // that expectation (a Poisson count's log has variance ~1/count): months of few contacts count less.
      const expected = model.expected.get(key) ?? 0;
      if (!(expected > 1e-9)) continue;
      const repeats = purchases - (model.firstPurchases.get(key) ?? 0);
      series.push({ month: m, log: Math.log(Math.max(repeats, 0.5) / expected), weight: expected });
    }
  }
  const months = series.length;
  const endDate = new Date(endDay * MS_PER_DAY).toISOString().slice(0, 10);
  if (months < MONTHS_FOR_SEASON) {
    return {
      estimated: false,
      months,
      reason: `less than a year of complete months before ${endDate} (${months}): a month-of-year effect cannot be learned from this store's history, so the forecast has no calendar adjustment`,
    };
  }
  const withTrend = months >= MONTHS_FOR_TREND;
  // Least squares on [trend?, 12 month dummies] (the dummies carry the level).
  const columns = (withTrend ? 1 : 0) + 12;
  const row = (m: number) => {
    const x = new Float64Array(columns);
    if (withTrend) x[0] = (m - series[0]!.month) / 12;
    x[(withTrend ? 1 : 0) + (m % 12)] = 1;
    return x;
  };
  const beta = leastSquares(
    series.map((s) => row(s.month)),
    series.map((s) => s.log),
    series.map((s) => s.weight),
    columns,
  );
  const dummies = beta.slice(withTrend ? 1 : 0);
  const mean = dummies.reduce((a, b) => a + b, 0) / 12;
  return {
    estimated: true,
    months,
    reason:
      (withTrend
        ? `month-of-year index and trend from ${months} complete months before ${endDate}`
        : `month-of-year index from ${months} complete months before ${endDate}; no trend (it needs ${MONTHS_FOR_TREND} months to tell from the season)`) +
      (model ? ", of the repeat purchases against those the model expects of the contacts acquired by then" : ""),
    monthIndex: dummies.map((d) => Math.exp(d - mean)),
    yearlyTrend: withTrend ? Math.exp(beta[0]!) : 1,
  };
}

/** Relative purchase rate on a day: the month's index times the trend since `originDay`. */
function rateOn(effect: CalendarEffect, day: number, originDay: number): number {
  const month = new Date(day * MS_PER_DAY).getUTCMonth();
  return effect.monthIndex![month]! * Math.pow(effect.yearlyTrend ?? 1, (day - originDay) / 365.25);
}

/**
 * The factor for a forecast over days [fromDay, toDay): the mean rate there over the mean rate over
 * the days the model was fitted on, [fittedFromDay, fittedToDay). 1 when no effect was estimated.
 */
export function calendarFactor(effect: CalendarEffect, fittedFromDay: number, fittedToDay: number, fromDay: number, toDay: number): number {
  if (!effect.estimated || !effect.monthIndex || toDay <= fromDay || fittedToDay <= fittedFromDay) return 1;
  const meanRate = (a: number, b: number) => {
    let sum = 0;
    for (let d = a; d < b; d++) sum += rateOn(effect, d, fittedToDay);
    return sum / (b - a);
  };
  return meanRate(fromDay, toDay) / meanRate(fittedFromDay, fittedToDay);
}

/** Weighted normal equations with a small ridge, solved by Gaussian elimination (13 unknowns at most). */
function leastSquares(rows: Float64Array[], y: number[], weights: number[], n: number): number[] {
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  rows.forEach((x, k) => {
    const w = weights[k]!;
    for (let i = 0; i < n; i++) {
      b[i]! += w * x[i]! * y[k]!;
      for (let j = 0; j < n; j++) a[i * n + j]! += w * x[i]! * x[j]!;
    }
  });
  for (let i = 0; i < n; i++) a[i * n + i]! += 1e-9;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[pivot * n + c]!)) pivot = r;
    for (let k = 0; k < n; k++) [a[c * n + k], a[pivot * n + k]] = [a[pivot * n + k]!, a[c * n + k]!];
    [b[c], b[pivot]] = [b[pivot]!, b[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / a[c * n + c]!;
      for (let k = c; k < n; k++) a[r * n + k]! -= f * a[c * n + k]!;
      b[r]! -= f * b[c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= a[i * n + k]! * x[k]!;
    x[i] = s / a[i * n + i]!;
  }
  return x;
}

/** Purchases per calendar month of purchase days, as history-fold.ts folds them: for runs built from histories. */
export function monthlyPurchasesOf(purchaseDays: Iterable<readonly number[]>): Map<string, number> {
  const months = new Map<string, number>();
  for (const days of purchaseDays) {
    for (const day of days) {
      const key = new Date(day * MS_PER_DAY).toISOString().slice(0, 7);
      months.set(key, (months.get(key) ?? 0) + 1);
    }
  }
  return months;
}

/** What the purchase model expects of a store's contacts per calendar month ("YYYY-MM"), and their first purchases. */
export interface ModelMonthlyRepeats {
  /** Expected repeat purchases: each contact from its first purchase on, as a new customer of the model. */
  expected: Map<string, number>;
  /** First purchases (acquisitions): in the month's purchases, but no repeat the model forecasts. */
  firstPurchases: Map<string, number>;
}

/**
 * The month-by-month expectation the calendar effect is measured against. A contact who first bought on
 * day f makes, under the model, E[X(t)] repeat purchases in its first t (expectedPurchasesUnconditional),
 * so E[X((e − f)/u)] − E[X((s − f)/u)] in the days (s, e]. The first purchase days come from the table:
 * a row's T is `lastDay` less its first purchase day, in the unit. Against raw purchases, a growing
 * store's acquisitions read as a trend, and a cohort's dropout (which the model already forecasts) as a
 * decline: both would be counted twice.
 */
export function modelMonthlyRepeats(unconditional: (t: number) => number, table: { readonly length: number; readonly T: Float64Array; readonly weight: Float64Array }, unitDays: number, lastDay: number): ModelMonthlyRepeats {
  const acquired = new Map<number, number>();
  for (let i = 0; i < table.length; i++) {
    const first = lastDay - Math.round(table.T[i]! * unitDays);
    acquired.set(first, (acquired.get(first) ?? 0) + table.weight[i]!);
  }
  const expected = new Map<string, number>();
  const firstPurchases = new Map<string, number>();
  if (acquired.size === 0) return { expected, firstPurchases };
  const earliest = Math.min(...acquired.keys());
  // E[X] by whole days since the first purchase, each computed once.
  const byOffset = new Float64Array(lastDay - earliest + 1).fill(Number.NaN);
  const cumulative = (days: number) => {
    if (days <= 0) return 0;
    let value = byOffset[days]!;
    if (Number.isNaN(value)) value = byOffset[days] = unconditional(days / unitDays);
    return value;
  };
  const lastMonth = monthOfDay(lastDay);
  for (const [first, contacts] of acquired) {
    const key = monthKey(monthOfDay(first));
    firstPurchases.set(key, (firstPurchases.get(key) ?? 0) + contacts);
    for (let m = monthOfDay(first); m <= lastMonth; m++) {
      const start = Math.max(first, dayOfMonthStart(m) - 1);
      const end = Math.min(lastDay, dayOfMonthStart(m + 1) - 1);
      if (end <= start) continue;
      const k = monthKey(m);
      expected.set(k, (expected.get(k) ?? 0) + contacts * (cumulative(end - first) - cumulative(start - first)));
    }
  }
  return { expected, firstPurchases };
}

/** The day number of the first day of month number m (year · 12 + month index). */
const dayOfMonthStart = (m: number) => Math.round(Date.UTC(Math.floor(m / 12), m % 12, 1) / MS_PER_DAY);
