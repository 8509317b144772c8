import { defaultScoringOptions, type ScoringOptions, type StorePopulation } from "./contact-scores.js";
import { summaryTable, type SummaryTable } from "./customer-summary.js";
import { eligibilityOf, type EligibilityFacts } from "./eligibility.js";
import { expectedOrderValue } from "./gamma-gamma.js";
import { calibrationEndDayOf, defaultModelRunOptions, purchaseModels, runModelsOnTables, type CalibrationTable, type ModelRun, type ModelRunOptions, type ModelRunTables } from "./model-run.js";
import { dayNumber, DAYS_PER_UNIT, MS_PER_DAY, type ContactHistory } from "./order-history.js";
import { predictorOf } from "./purchase-model.js";
import { quintileCutoffsOfCounts, scoreOnCutoffs, type RfmScale } from "./rfm.js";

/**
 * Everything a night's plan needs of the contacts, added up one contact at a time and mergeable, so
 * the plan reads the table scan segment by scan segment and never holds every contact: its size
 * grows with the distinct summaries (and RFM values), not with the contacts.
 *
 * Kept: the eligibility facts; the calibration/holdout summaries and every contact's summary as of
 * the night, each as weighted distinct rows (the purchase models are fitted on those, Fader, Hardie &
 * Lee 2005); repeat buyers' (frequency, mean repeat value in cents) for Gamma-Gamma; the distributions
 * of days since the last order, order count and average order value (the RFM quintiles); the sums
 * behind the store averages of every figure; and purchase days per calendar month (seasonality).
 * Times are kept in whole days and turned into the run's unit when the tables are made.
 */
export class HistoryFold {
  readonly asOf: number;
  readonly asOfDay: number;
  /** The calibration window's end the fold split at; see `calibrationEndDayOf`. */
  readonly calibrationEndDay: number;
  readonly facts: EligibilityFacts = { customers: 0, firstOrderAt: Infinity, lastOrderAt: -Infinity, threePlus: 0 };
  /** The store's first purchase day: it decides the holdout length. */
  firstPurchaseDay = Infinity;
  /** (frequency, recency, T, holdout purchases) in days → contacts. */
  readonly calibration = new CountedRows(1, [12, 15, 15, 11]);
  /**
   * Σ over contacts of log(days between purchase days), in the calibration window and in all data:
   * MBG/CNBD-k needs only these totals (customer-summary.ts), so the rows stay keyed on (x, tₓ, T).
   */
  readonly logDaysBetween = { calibration: 0, allData: 0 };
  /** (frequency, recency, T) in days → contacts, Σ mean repeat value over those with one > 0 and how many, Σ average order value, contacts with none (> 0), Σ revenue. */
  readonly allData = new CountedRows(6, [17, 18, 18]);
  /** (frequency, mean repeat value in cents) → repeat buyers. */
  readonly spend = new CountedRows(1, [13, 40]);
  readonly daysSinceLastOrder = new Map<number, number>();
  readonly orderCount = new Map<number, number>();
  readonly averageOrderValue = new Map<number, number>();
  /** Contacts who purchased, by day number: per calendar month in `monthlyPurchases` (seasonality). */
  readonly purchasesByDay = new Map<number, number>();
  /** Σ over contacts of the figures that need no model, for the store averages. */
  readonly sums = { orderCount: 0, historicClv: 0, averageOrderValue: 0, daysSinceLastOrder: 0, averageDaysBetweenOrders: 0, withAverageDaysBetweenOrders: 0 };

  constructor(asOf: number, calibrationEndDay: number) {
    this.asOf = asOf;
    this.asOfDay = dayNumber(asOf);
    this.calibrationEndDay = calibrationEndDay;
  }

  /** Adds one contact with orders. */
  add(h: ContactHistory): void {
    const days = h.purchaseDays;
    const first = days[0];
    if (first === undefined) return;
    const facts = this.facts;
    facts.customers++;
    facts.firstOrderAt = Math.min(facts.firstOrderAt, h.firstOrderAt);
    facts.lastOrderAt = Math.max(facts.lastOrderAt, h.lastOrderAt);
    if (h.orderCount >= 3) facts.threePlus++;
    this.firstPurchaseDay = Math.min(this.firstPurchaseDay, first);

    // The summaries, as order-history.ts summarize() and purchasesBetween() make them, in days.
    let calibrationRepeats = -1;
    let calibrationLast = first;
    let holdout = 0;
    let repeats = 0;
    let repeatRevenue = 0;
    let last = first;
    for (let i = 0; i < days.length; i++) {
      const day = days[i]!;
      if (day > this.asOfDay) break;
      const logDaysBetween = i > 0 ? Math.log(day - days[i - 1]!) : 0;
      if (day <= this.calibrationEndDay) {
        calibrationRepeats++;
        calibrationLast = day;
        this.logDaysBetween.calibration += logDaysBetween;
      } else if (first <= this.calibrationEndDay) holdout++;
      if (i > 0) {
        this.logDaysBetween.allData += logDaysBetween;
        repeats++;
        repeatRevenue += h.dayRevenue[i]!;
        last = day;
      }
      count(this.purchasesByDay, day);
    }
    if (calibrationRepeats >= 0) this.calibration.addAt(this.calibration.row(calibrationRepeats, calibrationLast - first, this.calibrationEndDay - first, holdout), 0, 1);
    const meanRepeat = repeats > 0 ? repeatRevenue / repeats : 0;
    const average = h.revenue / h.orderCount;
    const all = this.allData;
    const row = all.row(repeats, last - first, this.asOfDay - first);
    all.addAt(row, 0, 1);
    all.addAt(row, 5, h.revenue);
    if (meanRepeat > 0) {
      all.addAt(row, 1, meanRepeat);
      all.addAt(row, 2, 1);
      this.spend.addAt(this.spend.row(repeats, Math.round(meanRepeat * 100)), 0, 1);
    }
    if (average > 0) all.addAt(row, 3, average);
    else all.addAt(row, 4, 1);

    const daysSince = this.asOfDay - dayNumber(h.lastOrderAt);
    count(this.daysSinceLastOrder, daysSince);
    count(this.orderCount, h.orderCount);
    count(this.averageOrderValue, average);
    const sums = this.sums;
    sums.orderCount += h.orderCount;
    sums.historicClv += h.revenue;
    sums.averageOrderValue += average;
    sums.daysSinceLastOrder += Math.floor((this.asOf - h.lastOrderAt) / MS_PER_DAY);
    if (h.orderCount > 1) {
      sums.averageDaysBetweenOrders += (h.lastOrderAt - h.firstOrderAt) / MS_PER_DAY / (h.orderCount - 1);
      sums.withAverageDaysBetweenOrders++;
    }
  }

  /** Adds another fold of the same night and split (another scan segment's). */
  merge(other: HistoryFold): void {
    if (other.asOf !== this.asOf || other.calibrationEndDay !== this.calibrationEndDay) throw new Error("folds of different nights or calibration windows cannot be merged");
    const facts = this.facts;
    facts.customers += other.facts.customers;
    facts.firstOrderAt = Math.min(facts.firstOrderAt, other.facts.firstOrderAt);
    facts.lastOrderAt = Math.max(facts.lastOrderAt, other.facts.lastOrderAt);
    facts.threePlus += other.facts.threePlus;
    this.firstPurchaseDay = Math.min(this.firstPurchaseDay, other.firstPurchaseDay);
    this.calibration.merge(other.calibration);
    this.allData.merge(other.allData);
    this.spend.merge(other.spend);
    this.logDaysBetween.calibration += other.logDaysBetween.calibration;
    this.logDaysBetween.allData += other.logDaysBetween.allData;
    for (const [into, from] of [
      [this.daysSinceLastOrder, other.daysSinceLastOrder],
      [this.orderCount, other.orderCount],
      [this.averageOrderValue, other.averageOrderValue],
    ] as const)
      for (const [value, n] of from) count(into, value, n);
    for (const [day, n] of other.purchasesByDay) count(this.purchasesByDay, day, n);
    for (const key of Object.keys(this.sums) as (keyof HistoryFold["sums"])[]) this.sums[key] += other.sums[key];
  }

  /** Purchase days per calendar month ("YYYY-MM"), ascending: what a seasonal model fits on. */
  monthlyPurchases(): Map<string, number> {
    const months = new Map<string, number>();
    for (const day of [...this.purchasesByDay.keys()].sort((a, b) => a - b)) {
      const month = new Date(day * MS_PER_DAY).toISOString().slice(0, 7);
      months.set(month, (months.get(month) ?? 0) + this.purchasesByDay.get(day)!);
    }
    return months;
  }

  /** Distinct rows held: what the fold's memory grows with. */
  get distinctRows(): number {
    return this.calibration.length + this.allData.length + this.spend.length + this.daysSinceLastOrder.size + this.orderCount.size + this.averageOrderValue.size;
  }

  /** The split the whole store's fold should have used: when it differs from this fold's, fold again with it. */
  expectedCalibrationEndDay(options: Pick<ModelRunOptions, "holdoutDays"> = defaultModelRunOptions): number | undefined {
    return this.facts.customers > 0 ? calibrationEndDayOf(this.firstPurchaseDay, this.asOfDay, options) : undefined;
  }

  /** The model run's tables, in the run's unit. */
  tables(unit: ModelRunOptions["unit"]): ModelRunTables {
    const perUnit = DAYS_PER_UNIT[unit];
    const calibration = this.calibration;
    const calibrationRows = calibration.summaries(perUnit, (key) => ({ monetaryValue: key[3]! }));
    const table = summaryTable(calibrationRows, calibration.column(0));
    // Σ log(days between) in the unit: each of a contact's x gaps is perUnit times shorter.
    const inUnit = (logDays: number, t: SummaryTable) => {
      let repeats = 0;
      for (let i = 0; i < t.length; i++) repeats += t.weight[i]! * t.frequency[i]!;
      return logDays - repeats * Math.log(perUnit);
    };
    const calibrationTable: CalibrationTable = { ...table, holdoutPurchases: table.monetaryValue, monetaryValue: new Float64Array(table.length), logInterPurchaseTimes: inUnit(this.logDaysBetween.calibration, table) };
    const allData = summaryTable(this.allData.summaries(perUnit), this.allData.column(0));
    return {
      calibrationEndDay: this.calibrationEndDay,
      calibration: calibrationTable,
      allData: { ...allData, logInterPurchaseTimes: inUnit(this.logDaysBetween.allData, allData) },
      monthlyPurchases: this.monthlyPurchases(),
      spend: spendRows(this.spend),
    };
  }

  /** The store's RFM scale and average order value (contact-scores.ts storePopulation, from the distributions). */
  population(): StorePopulation {
    const scale = (counts: Map<number, number>, sign = 1) => {
      const entries = [...counts].map(([v, n]) => [sign * v, n] as const).sort((a, b) => a[0] - b[0]);
      return quintileCutoffsOfCounts(
        entries.map((e) => e[0]),
        entries.map((e) => e[1]),
      );
    };
    const rfm: RfmScale = { recency: scale(this.daysSinceLastOrder, -1), frequency: scale(this.orderCount), monetary: scale(this.averageOrderValue) };
    return { averageOrderValue: this.facts.customers > 0 ? this.sums.averageOrderValue / this.facts.customers : 0, rfm };
  }

  /**
   * The store's average of each figure (segment-membership.ts storeAverages over every contact's
   * scores), from the sums and the weighted rows: a row's predictions are the same for all its
   * contacts, and predicted CLV is linear in the mean repeat value (Gamma-Gamma, eq. 5).
   */
  storeAverages(run: ModelRun, population: StorePopulation, options: ScoringOptions = defaultScoringOptions): Record<string, number> {
    const n = this.facts.customers;
    if (n === 0) return {};
    const sums = this.sums;
    const averages: Record<string, number> = {
      orderCount: sums.orderCount / n,
      historicClv: sums.historicClv / n,
      averageOrderValue: sums.averageOrderValue / n,
      daysSinceLastOrder: sums.daysSinceLastOrder / n,
    };
    if (sums.withAverageDaysBetweenOrders > 0) averages.averageDaysBetweenOrders = sums.averageDaysBetweenOrders / sums.withAverageDaysBetweenOrders;
    const rfmAverage = (counts: Map<number, number>, cutoffs: RfmScale["recency"], sign = 1) => {
      let total = 0;
      for (const [value, k] of counts) total += k * scoreOnCutoffs(sign * value, cutoffs);
      return total / n;
    };
    averages.rfmRecency = rfmAverage(this.daysSinceLastOrder, population.rfm.recency, -1);
    averages.rfmFrequency = rfmAverage(this.orderCount, population.rfm.frequency);
    averages.rfmMonetary = rfmAverage(this.averageOrderValue, population.rfm.monetary);

    const fit = run.purchaseModel;
    if (!fit) return averages;
    const model = purchaseModels[fit.model];
    const unitDays = DAYS_PER_UNIT[run.unit];
    const predict = predictorOf(model, fit.params, options.predictionDays / unitDays, options.churnHorizonDays / unitDays);
    const rows = this.allData;
    const sum = { predictedOrders12m: 0, predictedClv12m: 0, pAlive: 0, churnRisk: 0 };
    for (let i = 0; i < rows.length; i++) {
      const [x, recency, T] = rows.key(i);
      const [weight, sumMean, withMean, sumAverage, withoutAverage] = rows.values(i);
      const p = predict({ frequency: x!, recency: recency! / unitDays, T: T! / unitDays });
      // Σ of each contact's expected order value (contact-scores.ts scoreColumns), by the row's sums.
      let orderValue: number;
      if (run.spendModel) {
        const params = run.spendModel.params;
        const populationMean = expectedOrderValue(params, 0, 0);
        const weightOwn = x! > 0 ? (params.p * x!) / (params.p * x! + params.q - 1) : 0;
        orderValue = (weight! - withMean!) * populationMean + withMean! * (1 - weightOwn) * populationMean + weightOwn * sumMean!;
      } else orderValue = sumAverage! + withoutAverage! * population.averageOrderValue;
      sum.predictedOrders12m += weight! * p.expectedPurchases;
      sum.predictedClv12m += p.expectedPurchases * orderValue;
      sum.pAlive += weight! * p.probabilityAlive;
      sum.churnRisk += weight! * p.probabilityNoPurchase;
    }
    for (const [field, total] of Object.entries(sum)) averages[field] = total / n;
    averages.totalClv = (sums.historicClv + sum.predictedClv12m) / n;
    return averages;
  }
}

/** The plan of a night from its fold: the model run, the store's population and its averages. */
export function runModelsOnFold(fold: HistoryFold, options: ModelRunOptions = defaultModelRunOptions): ModelRun {
  const eligibility = eligibilityOf(fold.facts, fold.asOf, options.rules);
  return runModelsOnTables(fold.facts.customers, eligibility, eligibility.eligible ? fold.tables(options.unit) : undefined, fold.asOf, options);
}

function count(into: Map<number, number>, value: number, n = 1): void {
  into.set(value, (into.get(value) ?? 0) + n);
}

function spendRows(rows: CountedRows): SummaryTable {
  return summaryTable(
    Array.from({ length: rows.length }, (_, i) => {
      const [x, cents] = rows.key(i);
      return { frequency: x!, recency: 0, T: 0, monetaryValue: cents! / 100 };
    }),
    rows.column(0),
  );
}

/**
 * Distinct keys of whole numbers with summed value columns, in growable typed arrays: a fold of a
 * million contacts holds a few hundred thousand rows. A key is packed into one double when each part
 * fits its bits (53 in all), else into a string.
 */
export class CountedRows {
  private readonly index = new Map<string | number, number>();
  private keys: Float64Array[] = [];
  private columns: Float64Array[];
  length = 0;

  constructor(
    private readonly width: number,
    private readonly bits: readonly number[],
  ) {
    this.columns = Array.from({ length: width }, () => new Float64Array(1024));
    this.sizes = bits.map((b) => 2 ** b);
  }

  private readonly sizes: number[];

  /** The row of a key (parts beyond the key's length are 0), made when new. */
  row(k0: number, k1: number, k2 = 0, k3 = 0): number {
    const parts = this.bits.length;
    let packed: string | number = 0;
    for (let j = 0; j < parts; j++) {
      const k = j === 0 ? k0 : j === 1 ? k1 : j === 2 ? k2 : k3;
      const size = this.sizes[j]!;
      if (!(k >= 0 && k < size && Number.isInteger(k))) {
        packed = [k0, k1, k2, k3].slice(0, parts).join(",");
        break;
      }
      packed = (packed as number) * size + k;
    }
    let i = this.index.get(packed);
    if (i === undefined) {
      i = this.length++;
      if (i >= this.columns[0]!.length) this.grow();
      const key = [k0, k1, k2, k3];
      for (let j = 0; j < parts; j++) {
        this.keys[j] ??= new Float64Array(this.columns[0]!.length);
        this.keys[j]![i] = key[j]!;
      }
      this.index.set(packed, i);
    }
    return i;
  }

  /** Adds to column `c` of row `i`. */
  addAt(i: number, c: number, value: number): void {
    this.columns[c]![i]! += value;
  }

  add(key: readonly number[], values: readonly number[]): void {
    const i = this.row(key[0]!, key[1]!, key[2], key[3]);
    for (let c = 0; c < this.width; c++) this.columns[c]![i]! += values[c] ?? 0;
  }

  merge(other: CountedRows): void {
    const parts = other.keys.length;
    for (let i = 0; i < other.length; i++) {
      const row = this.row(other.keys[0]![i]!, other.keys[1]![i]!, parts > 2 ? other.keys[2]![i]! : 0, parts > 3 ? other.keys[3]![i]! : 0);
      for (let c = 0; c < this.width; c++) this.columns[c]![row]! += other.columns[c]![i]!;
    }
  }

  key(i: number): number[] {
    return this.keys.map((k) => k[i]!);
  }

  values(i: number): number[] {
    return this.columns.map((c) => c[i]!);
  }

  column(c: number): Float64Array {
    return this.columns[c]!.subarray(0, this.length);
  }

  /** Rows as summaries (frequency, recency, T from the first three keys, times in days → the unit). */
  summaries(perUnit: number, extra: (key: number[]) => { monetaryValue?: number } = () => ({})) {
    return Array.from({ length: this.length }, (_, i) => {
      const key = this.key(i);
      return { frequency: key[0]!, recency: key[1]! / perUnit, T: key[2]! / perUnit, ...extra(key) };
    });
  }

  private grow(): void {
    const size = this.columns[0]!.length * 2;
    const grown = (a: Float64Array) => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.columns = this.columns.map(grown);
    this.keys = this.keys.map(grown);
  }
}
