import { describe, expect, it } from "vitest";
import { calendarFactor, estimateCalendarEffect } from "../../functions/domain/clv/calendar-effect.js";
import { defaultModelRunOptions, runModels } from "../../functions/domain/clv/model-run.js";
import { scoreContacts } from "../../functions/domain/clv/contact-scores.js";
import { bgNbd, type BgNbdParams } from "../../functions/domain/clv/bg-nbd.js";
import { contactHistories, dayNumber, MS_PER_DAY, summarize, type Order } from "../../functions/domain/clv/order-history.js";
import { onlineRetailOrders } from "../support/online-retail.js";
import { gammaSample, seededRandom } from "../support/simulate.js";

const day = (iso: string) => dayNumber(Date.parse(`${iso}T00:00:00Z`));
const key = (year: number, month: number) => `${year}-${String(month).padStart(2, "0")}`;

/** A gift shop's purchases per month: December twice the average, growing 20 % a year. */
function giftShop(fromYear: number, years: number): Map<string, number> {
  const months = new Map<string, number>();
  for (let y = 0; y < years; y++) {
    for (let m = 1; m <= 12; m++) {
      const season = m === 12 ? 2 : m === 11 ? 1.5 : 0.9;
      months.set(key(fromYear + y, m), 1000 * season * Math.pow(1.2, y + m / 12));
    }
  }
  return months;
}

describe("calendar effect from the store's purchases per month", () => {
  it("with less than a year of history it says so and adjusts nothing", () => {
    // Prepare: Dec 2010 to Sep 2011, as the demo store three months before its end.
    const months = new Map([...giftShop(2010, 2)].filter(([k]) => k >= "2010-12" && k <= "2011-09"));

    // Act
    const effect = estimateCalendarEffect(months, day("2011-09-09"));

    // Assess
    expect(effect.estimated).toBe(false);
    expect(effect.reason).toContain("less than a year");
    expect(calendarFactor(effect, day("2010-12-01"), day("2011-09-09"), day("2011-09-09"), day("2011-12-09"))).toBe(1);
  });

  it("from three years it recovers the December peak and the trend", () => {
    // Act
    const effect = estimateCalendarEffect(giftShop(2008, 3), day("2011-01-01"));

    // Assess
    expect(effect.estimated).toBe(true);
    expect(effect.months).toBe(35); // the first month is left out
    expect(effect.yearlyTrend).toBeCloseTo(1.2, 2);
    expect(effect.monthIndex![11]! / effect.monthIndex![5]!).toBeCloseTo(2 / 0.9, 1);
  });

  it("a forecast over Sep–Dec after fitting on the year before is raised for the season and the growth", () => {
    // Prepare
    const effect = estimateCalendarEffect(giftShop(2008, 3), day("2010-09-01"));

    // Act
    const autumn = calendarFactor(effect, day("2009-09-01"), day("2010-09-01"), day("2010-09-01"), day("2010-12-01"));
    const spring = calendarFactor(effect, day("2009-09-01"), day("2010-09-01"), day("2011-03-01"), day("2011-06-01"));

    // Assess
    expect(autumn).toBeGreaterThan(1.1);
    expect(spring).toBeLessThan(autumn);
  });

  it("the demo store's run says it has too little history for a calendar effect, and forecasts without one", () => {
    // Prepare: the demo store (UCI Online Retail) as of 2011-12-09; its holdout starts 2011-08-07.
    const asOf = Date.parse("2011-12-09T00:00:00Z");
    const histories = contactHistories(onlineRetailOrders(), asOf);

    // Act
    const run = runModels(histories, asOf, { ...defaultModelRunOptions, models: ["bg-nbd"] });

    // Assess
    expect(run.calendar?.applied).toBe(false);
    expect(run.calendar?.reason).toContain("less than a year of complete months before 2011-08-07");
  });
});

/**
 * A store of 3,000 contacts who all first ordered in January 2009 and never leave (the NBD: each buys
 * at its own rate λ ~ Gamma(2, 60) per day), seen to 2010-12-31. With `peak` > 1 they buy that many
 * times as often in November and December (a Poisson process at peak·λ thinned outside the season).
 */
function seasonalStore(peak: number, seed: number): Order[] {
  const random = seededRandom(seed);
  const first = day("2009-01-01");
  const last = day("2010-12-31");
  const orders: Order[] = [];
  for (let c = 0; c < 3000; c++) {
    const lambda = gammaSample(random, 2, 60);
    let t = first + Math.floor(31 * random());
    const push = (d: number) => orders.push({ orderId: `${c}-${orders.length}`, contactId: String(c), createdAt: d * MS_PER_DAY + 43_200_000, total: 20 });
    push(t);
    let clock = t + 1;
    for (;;) {
      clock += -Math.log(random()) / (peak * lambda);
      if (clock > last + 1) break;
      const d = Math.floor(clock);
      const month = new Date(d * MS_PER_DAY).getUTCMonth();
      if (month >= 10 || random() < 1 / peak) push(d);
    }
  }
  return orders;
}

describe("the calendar adjustment in the model run and the scores", () => {
  // History 2009-01-01 to 2010-12-31: the holdout is its last third (from 2010-05-02), after 15
  // complete months, so a month-of-year index (no trend: that needs 24) is estimated before it.
  const asOf = Date.parse("2010-12-31T00:00:00Z");
  const options = { ...defaultModelRunOptions, models: ["bg-nbd"] as const };

  it("is used when the store buys three times as often in November and December, and scales the 12-month forecast", () => {
    // Prepare
    const histories = contactHistories(seasonalStore(3, 11), asOf);

    // Act
    const run = runModels(histories, asOf, options);
    const scores = scoreContacts(histories, asOf, run);
    const plain = scoreContacts(histories, asOf, { ...run, calendar: { applied: false, reason: "left out by the test" } });

    // Assess: chosen on the holdout (May–December 2010, with its season), where it lowered the error.
    expect(run.calendar?.applied).toBe(true);
    expect(run.calendar?.reason).toContain("used: on the holdout it lowered the mean squared error");
    // Estimated again on all 23 complete months for the forecast from the as-of date.
    expect(run.calendar?.effect?.months).toBe(23);
    expect(run.calendar?.holdoutError?.factor).toBeGreaterThan(1.1);
    expect(run.calendar!.holdoutError!.with).toBeLessThan(run.calendar!.holdoutError!.without);
    // The next 12 months hold one season, as the fitted window's 24 months hold two: a factor near 1,
    // the same for every contact. The next 90 days (January to March) are off season: the chance of no
    // order in them is the model's over the 90 days shortened by their factor, so higher.
    const { effect, fittedFromDay, fittedToDay } = run.calendar!;
    const factor = calendarFactor(effect!, fittedFromDay!, fittedToDay!, dayNumber(asOf) + 1, dayNumber(asOf) + 366);
    const winter = calendarFactor(effect!, fittedFromDay!, fittedToDay!, dayNumber(asOf) + 1, dayNumber(asOf) + 91);
    expect(factor).not.toBe(1);
    expect(winter).toBeLessThan(0.9);
    for (const i of [0, 1, 2, 999]) {
      expect(scores[i]!.predictedOrders12m! / plain[i]!.predictedOrders12m!).toBeCloseTo(factor, 10);
      const summary = summarize(histories[i]!, dayNumber(asOf), "days")!;
      expect(scores[i]!.churnRisk).toBeCloseTo(bgNbd.probabilityNoPurchase(run.purchaseModel!.params as BgNbdParams, summary, 90 * winter), 12);
      expect(scores[i]!.churnRisk!).toBeGreaterThan(plain[i]!.churnRisk!);
      expect(scores[i]!.pAlive).toBe(plain[i]!.pAlive);
    }
  });

  it("is not used when the store has no season, and the run says why", () => {
    // Prepare
    const histories = contactHistories(seasonalStore(1, 11), asOf);

    // Act
    const run = runModels(histories, asOf, options);

    // Assess
    expect(run.calendar?.applied).toBe(false);
    expect(run.calendar?.reason).toContain("not used: on the holdout it moved the mean squared error");
    expect(scoreContacts(histories, asOf, run)[0]!.predictedOrders12m).toBe(scoreContacts(histories, asOf, { ...run, calendar: undefined })[0]!.predictedOrders12m);
  });
});

describe("the calendar effect of a growing store is measured against what the model expects", () => {
  /**
   * 4,000 contacts who never leave (λ ~ Gamma(2, 60) a day), acquired from 2007 to 2010 at a rate that
   * doubles every year, buying three times as often in November and December; seen to 2010-12-31.
   */
  function growingSeasonalStore(seed: number): Order[] {
    const random = seededRandom(seed);
    const from = day("2007-01-01");
    const last = day("2010-12-31");
    const growth = Math.log(2) / 365;
    const span = last - from;
    const orders: Order[] = [];
    for (let c = 0; c < 4000; c++) {
      // First day with density ∝ e^(growth·t) over the four years (inverse of its distribution function).
      const first = from + Math.floor(Math.log1p(random() * Math.expm1(growth * span)) / growth);
      const lambda = gammaSample(random, 2, 60);
      const push = (d: number) => orders.push({ orderId: `${c}-${orders.length}`, contactId: String(c), createdAt: d * MS_PER_DAY + 43_200_000, total: 20 });
      push(first);
      let clock = first + 1;
      for (;;) {
        clock += -Math.log(random()) / (3 * lambda);
        if (clock > last + 1) break;
        const d = Math.floor(clock);
        if (new Date(d * MS_PER_DAY).getUTCMonth() >= 10 || random() < 1 / 3) push(d);
      }
    }
    return orders;
  }

  it("learns the season and no trend from the acquisitions, and uses it on a holdout from May to December", () => {
    // Prepare: a 243-day holdout (May–December 2010) after 39 complete months, so a trend is estimated too.
    const asOf = Date.parse("2010-12-31T00:00:00Z");
    const histories = contactHistories(growingSeasonalStore(21), asOf);

    // Act
    const run = runModels(histories, asOf, { ...defaultModelRunOptions, models: ["bg-nbd"], holdoutDays: 243 });

    // Assess: against all purchases the doubling base reads as a trend of ~2 a year, and the forecast of
    // the contacts already acquired, scaled by it, is far too high: the holdout rejected it.
    expect(run.calendar?.applied, run.calendar?.reason).toBe(true);
    expect(run.calendar?.reason).toContain("against those the model expects");
    expect(run.calendar!.effect!.yearlyTrend!).toBeGreaterThan(0.85);
    expect(run.calendar!.effect!.yearlyTrend!).toBeLessThan(1.15);
    const index = run.calendar!.effect!.monthIndex!;
    expect(index[11]! / index[5]!).toBeGreaterThan(2.4); // 3 in truth
    expect(index[11]! / index[5]!).toBeLessThan(3.6);
  });
});
