import { describe, expect, it } from "vitest";
import { HistoryFold } from "../../functions/domain/clv/history-fold.js";
import { calibrationEndDayOf } from "../../functions/domain/clv/model-run.js";
import { dayNumber, MS_PER_DAY, type ContactHistory } from "../../functions/domain/clv/order-history.js";
import { planOfFold } from "../../functions/domain/nightly/nightly-scoring.js";
import { simulatedContact } from "../bench/plan.js";
import { seededRandom } from "../support/simulate.js";

const asOf = 20_000 * MS_PER_DAY;
const random = seededRandom(5);
const histories = Array.from({ length: 300 }, (_, i) => simulatedContact(random, i));

/** The store's fold as the night makes it: split at the calibration end its first order gives. */
function foldOf(contacts: readonly ContactHistory[], at = asOf): HistoryFold {
  const first = Math.min(...contacts.map((h) => h.purchaseDays[0] ?? Infinity));
  const fold = new HistoryFold(at, calibrationEndDayOf(first, dayNumber(at)));
  for (const h of contacts) fold.add(h);
  return fold;
}

describe("the night's plan on the last night's data", () => {
  it("reuses the model run fitted on the same fold, which is the run a new fit gives", () => {
    // Prepare: last night's plan
    const previous = planOfFold(foldOf(histories), 1);

    // Act: the same night again over the same histories (a scan of an unchanged table reads them in the same order)
    const again = planOfFold(foldOf(histories.map((h) => ({ ...h }))), 1, previous);

    // Assess
    expect(again.run).toBe(previous.run);
    expect(again.foldDigest).toBe(previous.foldDigest);
    expect(planOfFold(foldOf(histories), 1).run).toEqual(previous.run);
  });

  it("fits again when a contact ordered since, or when the night is another", () => {
    // Prepare
    const previous = planOfFold(foldOf(histories), 1);
    const [first, ...rest] = histories;
    const lastDay = dayNumber(asOf);
    const ordered: ContactHistory = { ...first!, purchaseDays: [...first!.purchaseDays, lastDay], dayRevenue: [...first!.dayRevenue, 25], orderCount: first!.orderCount + 1, revenue: first!.revenue + 25, lastOrderAt: asOf };

    // Act
    const afterAnOrder = planOfFold(foldOf([ordered, ...rest]), 1, previous);
    const nextNight = planOfFold(foldOf(histories, asOf + MS_PER_DAY), 1, previous);

    // Assess
    expect(afterAnOrder.run).not.toBe(previous.run);
    expect(afterAnOrder.foldDigest).not.toBe(previous.foldDigest);
    expect(nextNight.run).not.toBe(previous.run);
    expect(nextNight.run.asOf).not.toBe(previous.run.asOf);
  });
});
