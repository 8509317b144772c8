import { z } from "zod";
import { expectedOrderValue } from "./gamma-gamma.js";
import { purchaseModels, type ModelRun } from "./model-run.js";
import type { CustomerSummary } from "./customer-summary.js";
import { dayNumber, DAYS_PER_UNIT, MS_PER_DAY, summarize, type ContactHistory } from "./order-history.js";
import { calendarFactor } from "./calendar-effect.js";
import { medianWaitOf } from "./next-purchase.js";
import { predictorOf, type ModelParams, type PurchaseModel } from "./purchase-model.js";
import { rfmGroup, rfmGroups, rfmScale, rfmScoreColumns, type RfmScale, type RfmScore } from "./rfm.js";

const rfmScore = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)]);
export const churnBands = ["low", "medium", "high"] as const;

/**
 * Every figure of a contact (docs/design.md, "The contact's figures"), defined once: the type, the
 * stored SCORES item (adapters/dynamodb/score-items.ts), the score file's and the segment export's
 * columns (SCORE_COLUMNS, in this order) and the fields a segment condition may use all come from it.
 * Times are ISO strings; expectedNextOrderAt is a date (YYYY-MM-DD).
 */
export const ContactScores = z.object({
  contactId: z.string(),
  orderCount: z.number(),
  firstOrderAt: z.string(),
  lastOrderAt: z.string(),
  historicClv: z.number(),
  averageOrderValue: z.number(),
  averageDaysBetweenOrders: z.number().nullable(),
  predictedOrders12m: z.number().nullable(),
  predictedClv12m: z.number().nullable(),
  totalClv: z.number().nullable(),
  pAlive: z.number().nullable(),
  churnRisk: z.number().nullable(),
  churnBand: z.enum(churnBands).nullable(),
  /** Median date of the next order given the whole history (next-purchase.ts); after the scoring day, null where the model gives no finite median. */
  expectedNextOrderAt: z.string().nullable(),
  rfmRecency: rfmScore,
  rfmFrequency: rfmScore,
  rfmMonetary: rfmScore,
  rfmGroup: z.enum(rfmGroups),
});
export type ContactScores = z.infer<typeof ContactScores>;

/** A figure's name: every member of ContactScores but the contact's id. */
export type ScoreColumn = Exclude<keyof ContactScores, "contactId">;
/** Figures that are numbers (or null for "no value"). */
export type NumericFigure = { [K in ScoreColumn]: NonNullable<ContactScores[K]> extends number ? K : never }[ScoreColumn];
/** Figures that are one of a few names. */
export type NamedFigure = "churnBand" | "rfmGroup";

/** Every figure, in the order the score and export CSVs give them. */
export const SCORE_COLUMNS = Object.keys(ContactScores.shape).filter((name) => name !== "contactId") as ScoreColumn[];

function isNumeric(schema: z.ZodType): boolean {
  const inner = schema instanceof z.ZodNullable ? (schema.unwrap() as z.ZodType) : schema;
  return inner instanceof z.ZodNumber || (inner instanceof z.ZodUnion && inner.options.every((o) => o instanceof z.ZodLiteral && typeof o.value === "number"));
}

function isNamed(schema: z.ZodType): boolean {
  return (schema instanceof z.ZodNullable ? schema.unwrap() : schema) instanceof z.ZodEnum;
}

/** The numeric figures, in column order: what a segment condition compares with a number. */
export const NUMERIC_FIGURES = SCORE_COLUMNS.filter((name) => isNumeric(ContactScores.shape[name])) as NumericFigure[];
/** The named figures (churn band, RFM group), in column order: what a segment condition compares with a name. */
export const NAMED_FIGURES = SCORE_COLUMNS.filter((name) => isNamed(ContactScores.shape[name])) as NamedFigure[];

export type ChurnBand = (typeof churnBands)[number];

/** low < 0.33 ≤ medium ≤ 0.66 < high (docs/design.md). */
export function churnBand(churnRisk: number): ChurnBand {
  return churnRisk < 0.33 ? "low" : churnRisk <= 0.66 ? "medium" : "high";
}

export interface ScoringOptions {
  /** Days ahead for predicted orders and CLV. */
  predictionDays: number;
  /** Days ahead for churn risk: P(no order in the next churnHorizonDays). */
  churnHorizonDays: number;
  /** Annual rate at which next year's revenue is discounted; 0 for none. */
  annualDiscountRate: number;
}

export const defaultScoringOptions: ScoringOptions = { predictionDays: 365, churnHorizonDays: 90, annualDiscountRate: 0 };

/**
 * What scoring one contact needs to know of all the others: the RFM quintile scale and the store's
 * average order value (the predicted order value of a contact with no spend model). The nightly run
 * computes it once over every contact and keeps it with the model run, so a scan segment, or one
 * contact changed between nights, is scored as if the whole store were scored with it.
 */
export interface StorePopulation {
  averageOrderValue: number;
  rfm: RfmScale;
}

export function storePopulation(histories: readonly ContactHistory[], asOf: number): StorePopulation {
  const asOfDay = dayNumber(asOf);
  const n = histories.length;
  const daysSince = new Float64Array(n);
  const orderCount = new Float64Array(n);
  const averageOrderValue = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const h = histories[i]!;
    daysSince[i] = asOfDay - dayNumber(h.lastOrderAt);
    orderCount[i] = h.orderCount;
    averageOrderValue[i] = h.revenue / h.orderCount;
  }
  return populationOf(daysSince, orderCount, averageOrderValue);
}

function populationOf(daysSince: Float64Array, orderCount: Float64Array, averageOrderValue: Float64Array): StorePopulation {
  let sum = 0;
  for (let i = 0; i < averageOrderValue.length; i++) sum += averageOrderValue[i]!;
  const n = averageOrderValue.length;
  return { averageOrderValue: n > 0 ? sum / n : 0, rfm: rfmScale(daysSince, orderCount, averageOrderValue) };
}

/**
 * Every contact's figures as columns, aligned with the histories: a million contacts are scored into
 * typed arrays without a million objects. NaN stands for "no value" (no prediction, fewer than two
 * orders). `contactScores` turns one row into the ContactScores a store reads. The figures that are a
 * history's own (id, first and last order, revenue) are read from `histories`, not copied: as columns
 * they are made on first use.
 */
export interface ScoreColumns {
  readonly length: number;
  /** The histories scored, row for row. */
  readonly histories: readonly ContactHistory[];
  readonly contactIds: readonly string[];
  readonly orderCount: Float64Array;
  /** Epoch ms. */
  readonly firstOrderAt: Float64Array;
  readonly lastOrderAt: Float64Array;
  readonly historicClv: Float64Array;
  readonly averageOrderValue: Float64Array;
  readonly averageDaysBetweenOrders: Float64Array;
  /** Whole days from the last order's day to the scoring day (RFM's recency). */
  readonly daysSinceLastOrder: Float64Array;
  readonly predictedOrders12m: Float64Array;
  readonly predictedClv12m: Float64Array;
  readonly pAlive: Float64Array;
  readonly churnRisk: Float64Array;
  /** Day number (days since 1970-01-01 UTC). */
  readonly expectedNextOrderDay: Float64Array;
  readonly rfmRecency: Uint8Array;
  readonly rfmFrequency: Uint8Array;
  readonly rfmMonetary: Uint8Array;
}

/** The columns scoreColumns fills: made for `n` rows, or views of an earlier result's arrays when they have room. */
class FilledColumns implements ScoreColumns {
  readonly orderCount: Float64Array;
  readonly averageOrderValue: Float64Array;
  readonly averageDaysBetweenOrders: Float64Array;
  readonly daysSinceLastOrder: Float64Array;
  readonly predictedOrders12m: Float64Array;
  readonly predictedClv12m: Float64Array;
  readonly pAlive: Float64Array;
  readonly churnRisk: Float64Array;
  readonly expectedNextOrderDay: Float64Array;
  readonly rfmRecency: Uint8Array;
  readonly rfmFrequency: Uint8Array;
  readonly rfmMonetary: Uint8Array;
  #contactIds?: readonly string[];
  #firstOrderAt?: Float64Array;
  #lastOrderAt?: Float64Array;
  #historicClv?: Float64Array;

  constructor(
    readonly histories: readonly ContactHistory[],
    reuse?: ScoreColumns,
  ) {
    const n = histories.length;
    const numbers = (old: Float64Array | undefined) => (old && old.buffer.byteLength >= 8 * n ? new Float64Array(old.buffer, 0, n) : new Float64Array(n));
    const scores = (old: Uint8Array | undefined) => (old && old.buffer.byteLength >= n ? new Uint8Array(old.buffer, 0, n) : new Uint8Array(n));
    this.orderCount = numbers(reuse?.orderCount);
    this.averageOrderValue = numbers(reuse?.averageOrderValue);
    this.averageDaysBetweenOrders = numbers(reuse?.averageDaysBetweenOrders);
    this.daysSinceLastOrder = numbers(reuse?.daysSinceLastOrder);
    this.predictedOrders12m = numbers(reuse?.predictedOrders12m);
    this.predictedClv12m = numbers(reuse?.predictedClv12m);
    this.pAlive = numbers(reuse?.pAlive);
    this.churnRisk = numbers(reuse?.churnRisk);
    this.expectedNextOrderDay = numbers(reuse?.expectedNextOrderDay);
    this.rfmRecency = scores(reuse?.rfmRecency);
    this.rfmFrequency = scores(reuse?.rfmFrequency);
    this.rfmMonetary = scores(reuse?.rfmMonetary);
  }

  get length(): number {
    return this.histories.length;
  }
  get contactIds(): readonly string[] {
    return (this.#contactIds ??= this.histories.map((h) => h.contactId));
  }
  get firstOrderAt(): Float64Array {
    return (this.#firstOrderAt ??= Float64Array.from(this.histories, (h) => h.firstOrderAt));
  }
  get lastOrderAt(): Float64Array {
    return (this.#lastOrderAt ??= Float64Array.from(this.histories, (h) => h.lastOrderAt));
  }
  get historicClv(): Float64Array {
    return (this.#historicClv ??= Float64Array.from(this.histories, (h) => h.revenue));
  }
}

/**
 * Scores every contact as of `asOf` with the run's models. The model's predictor shares work between
 * contacts with the same history shape, which is what makes a million contacts cheap. With `reuse`,
 * the columns of an earlier call are written over where they have room (that call's figures are then
 * gone): a caller scoring again and again (page after page, night after night in one process) makes
 * no new ~90 MB of columns a call, and sets off no collection of the heap for them.
 */
export function scoreColumns(
  histories: readonly ContactHistory[],
  asOf: number,
  run: ModelRun,
  options: ScoringOptions = defaultScoringOptions,
  /** The whole store's by default, from the columns scored here (no second pass over the histories). */
  population?: StorePopulation,
  reuse?: ScoreColumns,
): ScoreColumns {
  const asOfDay = dayNumber(asOf);
  const unitDays = DAYS_PER_UNIT[run.unit];
  const fit = run.purchaseModel;
  const model = fit ? purchaseModels[fit.model] : undefined;
  const t = options.predictionDays / unitDays;
  // The calendar adjustment, when the run kept it: the forecast window's rate over the fitted window's.
  const calendar = run.calendar?.applied && run.calendar.effect ? run.calendar : undefined;
  const seasonalOver = (days: number) => (calendar ? calendarFactor(calendar.effect!, calendar.fittedFromDay!, calendar.fittedToDay!, asOfDay + 1, asOfDay + 1 + days) : 1);
  const seasonal = seasonalOver(options.predictionDays);
  // Churn risk over a window whose rate is f times the fitted one is the model's over f times the window
  // (purchases in operational time; exact where dropout happens at purchases, BG/NBD and its kin).
  const churnHorizon = (seasonalOver(options.churnHorizonDays) * options.churnHorizonDays) / unitDays;
  const predict = fit && model ? predictorOf(model, fit.params, t, churnHorizon) : undefined;
  const discountFactor =
    fit && model && options.annualDiscountRate > 0 ? discountFactorOf(model, fit.params, t, options.annualDiscountRate, options.predictionDays) : undefined;
  const n = histories.length;
  const columns = new FilledColumns(histories, reuse);
  const { orderCount, averageOrderValue, averageDaysBetweenOrders, daysSinceLastOrder } = columns;
  for (let i = 0; i < n; i++) {
    const h = histories[i]!;
    orderCount[i] = h.orderCount;
    averageOrderValue[i] = h.revenue / h.orderCount;
    averageDaysBetweenOrders[i] = h.orderCount > 1 ? (h.lastOrderAt - h.firstOrderAt) / MS_PER_DAY / (h.orderCount - 1) : Number.NaN;
    daysSinceLastOrder[i] = asOfDay - dayNumber(h.lastOrderAt);
  }
  const store = population ?? populationOf(daysSinceLastOrder, orderCount, averageOrderValue);
  rfmScoreColumns(daysSinceLastOrder, orderCount, averageOrderValue, store.rfm, { recency: columns.rfmRecency, frequency: columns.rfmFrequency, monetary: columns.rfmMonetary });
  const { predictedOrders12m, predictedClv12m, pAlive, churnRisk, expectedNextOrderDay } = columns;
  if (!(predict && fit && model)) {
    for (const column of [predictedOrders12m, predictedClv12m, pAlive, churnRisk, expectedNextOrderDay]) column.fill(Number.NaN);
    return columns;
  }
  const medianWait = medianWaitOf(model, fit.params, unitDays);
  for (let i = 0; i < n; i++) {
    const h = histories[i]!;
    const s = summarize(h, asOfDay, run.unit)!;
    const p = predict(s);
    const average = averageOrderValue[i]!;
    const orderValue = run.spendModel
      ? expectedOrderValue(run.spendModel.params, s.frequency, s.monetaryValue ?? 0)
      : average > 0
        ? average
        : store.averageOrderValue;
    predictedOrders12m[i] = seasonal * p.expectedPurchases;
    predictedClv12m[i] = seasonal * p.expectedPurchases * orderValue * (discountFactor ? discountFactor(s) : 1);
    pAlive[i] = p.probabilityAlive;
    churnRisk[i] = p.probabilityNoPurchase;
    // From the scoring day, given no order since the last one (next-purchase.ts); at least the next
    // day, since the scoring day's orders are already counted. No date where the median is infinite.
    const wait = medianWait(s) * unitDays;
    expectedNextOrderDay[i] = Number.isFinite(wait) ? asOfDay + Math.max(1, Math.ceil(wait)) : Number.NaN;
  }
  return columns;
}

const orNull = (v: number) => (Number.isNaN(v) ? null : v);
const isoDay = (day: number) => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);

/** One contact's figures from the columns, as the store reads them (dates as ISO strings). */
export function contactScores(columns: ScoreColumns, i: number): ContactScores {
  const history = columns.histories[i]!;
  const historicClv = history.revenue;
  const predictedClv12m = orNull(columns.predictedClv12m[i]!);
  const churnRisk = orNull(columns.churnRisk[i]!);
  const expectedNextOrderDay = columns.expectedNextOrderDay[i]!;
  const rfmRecency = columns.rfmRecency[i] as RfmScore;
  const rfmFrequency = columns.rfmFrequency[i] as RfmScore;
  const rfmMonetary = columns.rfmMonetary[i] as RfmScore;
  return {
    contactId: history.contactId,
    orderCount: history.orderCount,
    firstOrderAt: new Date(history.firstOrderAt).toISOString(),
    lastOrderAt: new Date(history.lastOrderAt).toISOString(),
    historicClv,
    averageOrderValue: columns.averageOrderValue[i]!,
    averageDaysBetweenOrders: orNull(columns.averageDaysBetweenOrders[i]!),
    predictedOrders12m: orNull(columns.predictedOrders12m[i]!),
    predictedClv12m,
    totalClv: predictedClv12m === null ? null : historicClv + predictedClv12m,
    pAlive: orNull(columns.pAlive[i]!),
    churnRisk,
    churnBand: churnRisk === null ? null : churnBand(churnRisk),
    expectedNextOrderAt: Number.isNaN(expectedNextOrderDay) ? null : isoDay(expectedNextOrderDay),
    rfmRecency,
    rfmFrequency,
    rfmMonetary,
    rfmGroup: rfmGroup(rfmRecency, rfmFrequency, rfmMonetary),
  };
}

/** Every contact's figures as objects: scoreColumns, then contactScores for each row. */
export function scoreContacts(
  histories: readonly ContactHistory[],
  asOf: number,
  run: ModelRun,
  options: ScoringOptions = defaultScoringOptions,
  population?: StorePopulation,
): ContactScores[] {
  const columns = scoreColumns(histories, asOf, run, options, population);
  return Array.from({ length: columns.length }, (_, i) => contactScores(columns, i));
}

/**
 * Discounted share of the horizon's expected orders: orders expected in each month, valued at
 * (1 + annual rate)^(−month end in years), summed and divided by the undiscounted total.
 */
function discountFactorOf(model: PurchaseModel, params: ModelParams, t: number, annualRate: number, predictionDays: number): (s: CustomerSummary) => number {
  const months = 12;
  return (s) => {
    let discounted = 0;
    let previous = 0;
    for (let m = 1; m <= months; m++) {
      const cumulative = model.expectedPurchases(params, s, (t * m) / months);
      discounted += (cumulative - previous) / Math.pow(1 + annualRate, (predictionDays * m) / months / 365);
      previous = cumulative;
    }
    return previous > 0 ? discounted / previous : 1;
  };
}
