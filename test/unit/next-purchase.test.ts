import { describe, expect, it } from "vitest";
import { bgNbd, mbgNbd } from "../../functions/domain/clv/bg-nbd.js";
import { bisectMedian, LONGEST_WAIT_DAYS, medianWaitOf } from "../../functions/domain/clv/next-purchase.js";
import { paretoNbd } from "../../functions/domain/clv/pareto-nbd.js";
import type { CustomerSummary } from "../../functions/domain/clv/customer-summary.js";
import { gammaSample, seededRandom, simulateBgNbd } from "../support/simulate.js";

// Parameters of the CDNOW sample in weeks (Fader, Hardie & Lee 2005; test/fixtures README): a realistic store.
const bg = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const pareto = { r: 0.553, alpha: 10.58, s: 0.606, beta: 11.656 };
const WEEK = 7;

interface Observed {
  summary: CustomerSummary;
  /** Time from T to the next purchase; Infinity when there is none. */
  nextWait: number;
}

/** Share of customers whose next purchase came within the predicted median wait; ½ if the medians are right. */
function shareWithin(customers: readonly Observed[], median: (s: CustomerSummary) => number): { finite: number; within: number; boughtAgainWhenNone: number; none: number } {
  let finite = 0;
  let within = 0;
  let none = 0;
  let boughtAgain = 0;
  for (const c of customers) {
    const m = median(c.summary);
    if (Number.isFinite(m)) {
      finite++;
      if (c.nextWait <= m) within++;
    } else {
      none++;
      if (Number.isFinite(c.nextWait)) boughtAgain++;
    }
  }
  return { finite, within: within / finite, none, boughtAgainWhenNone: none > 0 ? boughtAgain / none : 0 };
}

/** Pareto/NBD customers (Schmittlein et al. 1987): Poisson purchases at λ ~ Gamma(r, α) until an exponential lifetime, μ ~ Gamma(s, β). */
function simulatePareto(count: number, seed: number): Observed[] {
  const random = seededRandom(seed);
  const customers: Observed[] = [];
  for (let i = 0; i < count; i++) {
    const T = 20 + 40 * random();
    const lambda = gammaSample(random, pareto.r, pareto.alpha);
    const lifetime = -Math.log(random()) / gammaSample(random, pareto.s, pareto.beta);
    let t = 0;
    let x = 0;
    let tx = 0;
    let next = Infinity;
    for (;;) {
      t += -Math.log(random()) / lambda;
      if (t > lifetime) break;
      if (t > T) {
        next = t - T;
        break;
      }
      x++;
      tx = t;
    }
    customers.push({ summary: { frequency: x, recency: tx, T }, nextWait: next });
  }
  return customers;
}

describe("expected next order: the median wait from the scoring day given the whole history", () => {
  it("BG/NBD: half of the simulated customers with a finite median buy again within it, in every group of history", () => {
    // Prepare: BG/NBD customers observed for 20–60 weeks, then followed far enough to see their next purchase.
    const simulated = simulateBgNbd(bg, 40_000, { seed: 18, T: (random) => 20 + 40 * random(), horizon: LONGEST_WAIT_DAYS / WEEK });
    const customers: Observed[] = simulated.map((c) => ({ summary: c.summary, nextWait: c.futurePurchases.length > 0 ? c.futurePurchases[0]! - c.summary.T : Infinity }));
    const median = medianWaitOf(bgNbd, bg, WEEK);

    // Act
    const all = shareWithin(customers, median);
    const groups = [
      customers.filter((c) => c.summary.frequency === 0),
      customers.filter((c) => c.summary.frequency >= 1 && c.summary.frequency <= 3),
      customers.filter((c) => c.summary.frequency >= 4),
      customers.filter((c) => c.summary.frequency >= 1 && c.summary.T - c.summary.recency > 20),
    ].map((group) => shareWithin(group, median));

    // Assess: within about 3 standard errors of ½ (n ≈ 40,000 gives ±0.0025; a group of 3,000 ±0.009).
    expect(all.finite).toBeGreaterThan(30_000);
    expect(all.within).toBeGreaterThan(0.49);
    expect(all.within).toBeLessThan(0.51);
    for (const group of groups) {
      expect(group.within).toBeGreaterThan(0.46);
      expect(group.within).toBeLessThan(0.54);
    }
    // Where the model gives no median, fewer than half ever buy again: that is why there is none.
    expect(all.none).toBeGreaterThan(100);
    expect(all.boughtAgainWhenNone).toBeLessThan(0.5);
  });

  it("the wait counts from T, not from the last purchase: a long silence pushes the date out, or removes it", () => {
    // Prepare: the same purchases, observed to a later scoring day.
    const recent = { frequency: 4, recency: 30, T: 31 };
    const silent = { frequency: 4, recency: 30, T: 60 };
    const median = medianWaitOf(bgNbd, bg, WEEK);

    // Act
    const soon = median(recent);
    const later = median(silent);

    // Assess
    expect(soon).toBeGreaterThan(0);
    expect(later === Infinity || later > soon).toBe(true);
    expect(median({ frequency: 10, recency: 5, T: 60 })).toBe(Infinity); // P(alive) is far below ½
  });

  it("Pareto/NBD (no closed form, bisection of the likelihood ratio): half of the simulated customers buy within the median", () => {
    // Prepare
    const customers = simulatePareto(20_000, 7);
    const median = medianWaitOf(paretoNbd, pareto, WEEK);

    // Act
    const all = shareWithin(customers, median);

    // Assess: most Pareto/NBD customers of these parameters are gone after 20–60 weeks; ±0.025 is about
    // 3 standard errors for the ~4,000 with a finite median.
    expect(all.finite).toBeGreaterThan(3_000);
    expect(all.within).toBeGreaterThan(0.475);
    expect(all.within).toBeLessThan(0.525);
    expect(all.boughtAgainWhenNone).toBeLessThan(0.5);
  });

  it("the BG/NBD and MBG/NBD closed form is the point where P(no purchase in the wait) falls to ½", () => {
    // Prepare
    const histories: CustomerSummary[] = [
      { frequency: 0, recency: 0, T: 30 },
      { frequency: 2, recency: 30.43, T: 38.86 },
      { frequency: 7, recency: 35, T: 38 },
    ];
    for (const model of [bgNbd, mbgNbd]) {
      for (const s of histories) {
        // Act
        const closed = medianWaitOf(model, bg, WEEK)(s); // the closed form, capped at LONGEST_WAIT_DAYS
        const bisected = bisectMedian((w) => model.probabilityNoPurchase(bg, s, w), LONGEST_WAIT_DAYS / WEEK);

        // Assess
        if (Number.isFinite(closed)) expect(Math.abs(closed - bisected) / closed).toBeLessThan(1e-5);
        else expect(bisected).toBe(Infinity);
      }
    }
  });
});
