import { describe, expect, it } from "vitest";
import { ContactScores, NAMED_FIGURES, NUMERIC_FIGURES, SCORE_COLUMNS } from "../../functions/domain/clv/contact-scores.js";
import { numericFields, textFields } from "../../functions/domain/segments/segment-definition.js";
import { contactScores } from "../support/contact-scores.js";

describe("the contact's figures, defined once", () => {
  it("gives the columns, the numeric and the named figures in one order", () => {
    // Prepare / Act: everything below is derived from the one schema.
    // Assess: the lists the score file, the export and the segment editor used before, spelled out.
    expect(SCORE_COLUMNS).toEqual([
      "orderCount", "firstOrderAt", "lastOrderAt", "historicClv", "averageOrderValue", "averageDaysBetweenOrders", "predictedOrders12m",
      "predictedClv12m", "totalClv", "pAlive", "churnRisk", "churnBand", "expectedNextOrderAt", "rfmRecency", "rfmFrequency", "rfmMonetary", "rfmGroup",
    ]);
    expect(NUMERIC_FIGURES).toEqual([
      "orderCount", "historicClv", "averageOrderValue", "averageDaysBetweenOrders", "predictedOrders12m", "predictedClv12m", "totalClv", "pAlive", "churnRisk",
      "rfmRecency", "rfmFrequency", "rfmMonetary",
    ]);
    expect(NAMED_FIGURES).toEqual(["churnBand", "rfmGroup"]);
    expect(numericFields).toEqual([...NUMERIC_FIGURES, "daysSinceLastOrder"]);
    expect(textFields).toEqual(["subscription", "country", "email", "firstName", "churnBand", "rfmGroup"]);
  });

  it("checks a contact's figures: an RFM score outside 1–5 or an unknown band is refused, naming the field", () => {
    // Prepare
    const good = contactScores();
    // Act / Assess
    expect(ContactScores.parse(good)).toEqual(good);
    expect(ContactScores.safeParse({ ...good, rfmRecency: 6 }).error?.issues[0]?.path).toEqual(["rfmRecency"]);
    expect(ContactScores.safeParse({ ...good, churnBand: "extreme" }).error?.issues[0]?.path).toEqual(["churnBand"]);
  });
});
