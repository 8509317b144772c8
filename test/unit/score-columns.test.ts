import { describe, expect, it } from "vitest";
import { contactScores, scoreColumns, type ScoreColumns } from "../../functions/domain/clv/contact-scores.js";
import { runModels, type ModelRun } from "../../functions/domain/clv/model-run.js";
import { contactHistories, MS_PER_DAY } from "../../functions/domain/clv/order-history.js";
import { cdnowSampleOrders } from "../support/cdnow.js";

/** The CDNOW sample (2,357 customers, Fader, Hardie & Lee 2005) as of 1998-06-30: an eligible store. */
const asOf = Date.parse("1998-06-30T00:00:00Z");
const histories = contactHistories(cdnowSampleOrders(), asOf);
const run = runModels(histories, asOf);

const numberColumns = [
  "orderCount",
  "firstOrderAt",
  "lastOrderAt",
  "historicClv",
  "averageOrderValue",
  "averageDaysBetweenOrders",
  "daysSinceLastOrder",
  "predictedOrders12m",
  "predictedClv12m",
  "pAlive",
  "churnRisk",
  "expectedNextOrderDay",
  "rfmRecency",
  "rfmFrequency",
  "rfmMonetary",
] as const;

/** Each column's bytes, so NaN, −0 and every last bit are compared. */
function bytesOf(columns: ScoreColumns): Record<string, number[]> {
  return Object.fromEntries(numberColumns.map((name) => [name, [...new Uint8Array(columns[name].buffer, columns[name].byteOffset, columns[name].byteLength)]]));
}

describe("scoring into columns", () => {
  it("gives the same figures, bit for bit, into an earlier call's columns as into new ones", () => {
    // Prepare: the columns of another day's scoring of every contact, then of a page of them.
    const expected = scoreColumns(histories, asOf, run);
    const page = histories.slice(100, 600);
    const expectedPage = scoreColumns(page, asOf, run);
    const earlier = scoreColumns(histories, asOf + 30 * MS_PER_DAY, run);
    // Act
    const reused = scoreColumns(histories, asOf, run, undefined, undefined, earlier);
    const pageInto = scoreColumns(page, asOf, run, undefined, undefined, reused);
    // Assess: the page is written over the same arrays and has its own length.
    expect(pageInto.predictedClv12m.buffer).toBe(earlier.predictedClv12m.buffer);
    expect(pageInto.length).toBe(500);
    expect(bytesOf(pageInto)).toEqual(bytesOf(expectedPage));
    expect(pageInto.contactIds).toEqual(page.map((h) => h.contactId));
    expect(contactScores(pageInto, 7)).toEqual(contactScores(expectedPage, 7));
    expect(bytesOf(scoreColumns(histories, asOf, run, undefined, undefined, pageInto))).toEqual(bytesOf(expected));
  });

  it("reads each contact's own figures from its history", () => {
    // Act
    const columns = scoreColumns(histories, asOf, run);
    // Assess
    expect(columns.contactIds).toEqual(histories.map((h) => h.contactId));
    expect([...columns.firstOrderAt]).toEqual(histories.map((h) => h.firstOrderAt));
    expect([...columns.lastOrderAt]).toEqual(histories.map((h) => h.lastOrderAt));
    expect([...columns.historicClv]).toEqual(histories.map((h) => h.revenue));
    expect([...columns.orderCount]).toEqual(histories.map((h) => h.orderCount));
    expect(contactScores(columns, 3)).toMatchObject({
      contactId: histories[3]!.contactId,
      orderCount: histories[3]!.orderCount,
      historicClv: histories[3]!.revenue,
      firstOrderAt: new Date(histories[3]!.firstOrderAt).toISOString(),
    });
  });

  it("leaves no earlier prediction behind when the run has no model", () => {
    // Prepare: columns full of predictions, then a run that could not fit.
    const predicted = scoreColumns(histories, asOf, run);
    const unfitted: ModelRun = { ...run, purchaseModel: undefined, spendModel: undefined };
    // Act
    const columns = scoreColumns(histories, asOf, unfitted, undefined, undefined, predicted);
    // Assess
    for (const name of ["predictedOrders12m", "predictedClv12m", "pAlive", "churnRisk", "expectedNextOrderDay"] as const) expect(columns[name].every(Number.isNaN), name).toBe(true);
    expect(contactScores(columns, 0)).toMatchObject({ predictedClv12m: null, totalClv: null, churnBand: null, expectedNextOrderAt: null });
  });
});
