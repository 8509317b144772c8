import { describe, expect, it } from "vitest";
import { MS_PER_DAY } from "../../functions/domain/clv/order-history.js";
import { planNightlyRun, rescoreContacts, type ContactState } from "../../functions/domain/nightly/nightly-scoring.js";
import { maxScoreAgeDays, MAX_SCORE_AGE_DAYS, scoreWriteDue, visiblyChanged } from "../../functions/domain/nightly/score-writes.js";
import { simulatedContact } from "../bench/plan.js";
import { contactScores } from "../support/contact-scores.js";
import { seededRandom } from "../support/simulate.js";

const NOW = Date.parse("2024-06-30T03:00:00Z");
const predicted = contactScores({
  contactId: "ann",
  orderCount: 4,
  historicClv: 135.23,
  averageOrderValue: 33.81,
  averageDaysBetweenOrders: 92,
  predictedOrders12m: 0.806,
  predictedClv12m: 28.24,
  totalClv: 163.47,
  pAlive: 0.4481,
  churnRisk: 0.8338,
  churnBand: "high",
  expectedNextOrderAt: "2024-09-01",
});
const fresh = { now: NOW, membershipChanged: false };
const writtenDaysAgo = (days: number) => new Date(NOW - days * MS_PER_DAY).toISOString();

describe("when the night writes a score", () => {
  it("writes a predicted figure only when it moves across the precision it is read at", () => {
    // Prepare
    const cases: [Partial<typeof predicted>, boolean][] = [
      [{ pAlive: 0.4460 }, false], // 45 % either way
      [{ pAlive: 0.4449 }, true], // 45 % → 44 %
      [{ churnRisk: 0.8349 }, false],
      [{ churnRisk: 0.8351 }, true],
      [{ predictedOrders12m: 0.84 }, false], // 0.8 orders either way
      [{ predictedOrders12m: 0.86 }, true],
      [{ predictedClv12m: 28.49, totalClv: 163.48 }, false], // whole units of money
      [{ predictedClv12m: 28.51 }, true],
      [{ expectedNextOrderAt: "2024-09-07" }, false], // less than a week
      [{ expectedNextOrderAt: "2024-09-08" }, true],
      [{ expectedNextOrderAt: null }, true],
    ];

    // Act
    const answers = cases.map(([change]) => visiblyChanged(predicted, { ...predicted, ...change }));

    // Assess
    expect(answers).toEqual(cases.map(([, due]) => due));
  });

  it("writes any change of a figure of the history, RFM or the churn band, however small", () => {
    for (const change of [{ orderCount: 5 }, { historicClv: 135.24 }, { averageOrderValue: 33.82 }, { lastOrderAt: "2024-06-29T10:00:00.000Z" }, { rfmRecency: 2 as const }, { rfmGroup: "Loyal" as const }, { churnBand: "medium" as const }]) {
      expect(visiblyChanged(predicted, { ...predicted, ...change }), JSON.stringify(change)).toBe(true);
    }
  });

  it("writes a first score, a score whose contact entered or left a segment, and one past its maximum age", () => {
    // Prepare
    const drifted = { ...predicted, pAlive: 0.4462 };
    const age = maxScoreAgeDays("ann");

    // Act and Assess
    expect(scoreWriteDue({}, predicted, fresh)).toBe(true);
    expect(scoreWriteDue({ scores: predicted, scoredAt: writtenDaysAgo(1) }, drifted, fresh)).toBe(false);
    expect(scoreWriteDue({ scores: predicted, scoredAt: writtenDaysAgo(1) }, drifted, { now: NOW, membershipChanged: true })).toBe(true);
    // Already exactly tonight's figures (the night run again after dying between its writes): not written twice.
    expect(scoreWriteDue({ scores: predicted, scoredAt: writtenDaysAgo(0) }, { ...predicted }, { now: NOW, membershipChanged: true })).toBe(false);
    expect(scoreWriteDue({ scores: predicted, scoredAt: writtenDaysAgo(age - 1) }, drifted, fresh)).toBe(false);
    // Written a few minutes into the night `age` days ago: due tonight.
    expect(scoreWriteDue({ scores: predicted, scoredAt: new Date(NOW - age * MS_PER_DAY + 300_000).toISOString() }, drifted, fresh)).toBe(true);
    expect(scoreWriteDue({ scores: predicted }, drifted, fresh)).toBe(true);
  });

  it("spreads the contacts' maximum ages over a week, so the refreshes do not all fall on one night", () => {
    // Act
    const ages = new Map<number, number>();
    for (let i = 0; i < 7_000; i++) ages.set(maxScoreAgeDays(`c-${i}`), (ages.get(maxScoreAgeDays(`c-${i}`)) ?? 0) + 1);

    // Assess
    expect([...ages.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6].map((d) => MAX_SCORE_AGE_DAYS + d));
    for (const n of ages.values()) expect(n).toBeGreaterThan(800);
    expect(maxScoreAgeDays("c-1")).toBe(maxScoreAgeDays("c-1"));
  });

  it("rescoring writes nothing for contacts whose stored figures read the same, and rewrites them once they are too old", () => {
    // Prepare: 300 contacts scored tonight, stored as they were scored
    const random = seededRandom(3);
    const histories = Array.from({ length: 300 }, (_, i) => simulatedContact(random, i));
    const asOf = 20_000 * MS_PER_DAY;
    const plan = planNightlyRun(histories, asOf, 1);
    const states = (scoredAt: string): ContactState[] => histories.map((history) => ({ contactId: history.contactId, history, memberships: {}, emailEvents: [], scoredAt }));
    const first = rescoreContacts(states(""), plan, [], asOf);
    const stored = new Map(first.scores.map((s) => [s.contactId, s]));
    const withStored = (scoredAt: string) => states(scoredAt).map((s) => ({ ...s, scores: stored.get(s.contactId)! }));

    // Act
    const sameNight = rescoreContacts(withStored(new Date(asOf).toISOString()), plan, [], asOf);
    const fortnightLater = rescoreContacts(withStored(new Date(asOf - 14 * MS_PER_DAY).toISOString()), plan, [], asOf);

    // Assess
    expect(first.scores).toHaveLength(300);
    expect(sameNight.scores).toHaveLength(0);
    expect(fortnightLater.scores).toHaveLength(300);
  });
});
