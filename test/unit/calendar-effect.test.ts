import { describe, expect, it } from "vitest";
import { calendarFactor, estimateCalendarEffect } from "../../functions/domain/clv/calendar-effect.js";
import { defaultModelRunOptions, runModels } from "../../functions/domain/clv/model-run.js";
import { contactHistories, dayNumber } from "../../functions/domain/clv/order-history.js";
import { onlineRetailOrders } from "../support/online-retail.js";

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
