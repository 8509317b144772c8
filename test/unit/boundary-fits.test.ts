import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fitSummaryFile } from "../../functions/local/cli/fit-command.js";
import { bgNbd, mbgNbd } from "../../functions/domain/clv/bg-nbd.js";
import { purchaseTable } from "../../functions/domain/clv/customer-summary.js";
import { fitModel, maximumOf } from "../../functions/domain/clv/fit.js";
import { calibrationEndDayOf, calibrationTable } from "../../functions/domain/clv/model-run.js";
import { selectModel, type CandidateErrors } from "../../functions/domain/clv/model-selection.js";
import { calibrationHoldout, contactHistories, dayNumber, summarize } from "../../functions/domain/clv/order-history.js";
import { paretoNbd } from "../../functions/domain/clv/pareto-nbd.js";
import { cdnowSummaries } from "../support/cdnow.js";
import { seededRandom } from "../support/simulate.js";
import { onlineRetailOrders } from "../support/online-retail.js";

// The demo store (UCI Online Retail, data/online-retail) as of 2011-12-09 at daily resolution: a year of a
// gift shop in which no customer is seen to leave, so every dropout parameter runs to its limit.
const asOf = Date.parse("2011-12-09T00:00:00Z");
const histories = contactHistories(onlineRetailOrders(), asOf);
const demo = purchaseTable(histories.map((h) => summarize(h, dayNumber(asOf), "days")!));

describe("fits at a bound are results", () => {
  it("BG/NBD on the demo store: a → 0 and b → ∞ are reported as the NBD, with no standard errors for them", () => {
    // Act
    const fit = fitModel(bgNbd, demo);

    // Assess
    expect(fit.boundary).toEqual(["a", "b"]);
    expect(fit.reducesTo).toBe("NBD: no dropout seen");
    expect(fit.warnings.join(" ")).toContain("P(alive) is close to 1");
    const json = JSON.parse(JSON.stringify(fit));
    expect(json.standardErrors.a).toBeNull();
    expect(json.standardErrors.r).toBeGreaterThan(0);
  });

  it("BG/NBD and MBG/NBD on the demo's first-night calibration window go to the no-dropout limit at once, at its log-likelihood", () => {
    // Prepare: the calibration window the nightly run fits its candidates on (model-run.ts).
    const firstDay = Math.min(...histories.map((h) => h.purchaseDays[0]!));
    const split = calibrationHoldout(histories, calibrationEndDayOf(firstDay, dayNumber(asOf)), dayNumber(asOf), "days");
    const calibration = calibrationTable(
      split.map((c) => c.calibration),
      split.map((c) => c.holdoutPurchases),
    );

    for (const model of [bgNbd, mbgNbd]) {
      // Act
      const maximum = maximumOf(model, calibration);
      const fit = fitModel(model, calibration);

      // Assess: four starts in about 35 evaluations each (they crawled toward a → 0 and stalled in
      // line searches for 670 and 1,058 evaluations in all), and nothing left to gain toward the limit.
      expect(maximum.evaluations, model.name).toBeLessThan(250);
      const [r, alpha, a, b] = maximum.theta as [number, number, number, number];
      const atLimit = model.tableLogLikelihood(Float64Array.from([r, alpha, a / 1e6, b]), calibration, null);
      expect(maximum.logLikelihood).toBeGreaterThan(atLimit - 1e-6);
      expect(fit.boundary).toEqual(["a", "b"]);
      expect(fit.reducesTo).toBe("NBD: no dropout seen");
    }
  });

  it("Pareto/NBD on the demo store's daily summary returns its boundary fit instead of failing", () => {
    // Act
    const fit = fitModel(paretoNbd, demo);

    // Assess: the NBD's purchase-rate parameters, as BG/NBD finds them at its own limit.
    const nbd = fitModel(bgNbd, demo);
    expect(fit.boundary).toEqual(["s", "beta"]);
    expect(fit.reducesTo).toBe("NBD: no dropout seen");
    expect(fit.params.r).toBeCloseTo(nbd.params.r!, 2);
    expect(fit.logLikelihood).toBeCloseTo(nbd.logLikelihood, 0);
  });

  it("clv fit --model pareto-nbd on the demo store's daily summary CSV returns the boundary fit with its warnings", async () => {
    // Prepare: the summary as a user would write it from the demo store's orders.
    const path = join(mkdtempSync(join(tmpdir(), "boundary-fit-")), "demo-summary.csv");
    const rows = histories.map((h) => summarize(h, dayNumber(asOf), "days")!);
    writeFileSync(path, ["customer_id,frequency,recency,T", ...rows.map((s, i) => `${histories[i]!.contactId},${s.frequency},${s.recency},${s.T}`)].join("\n"));

    // Act
    const { fit, errors } = await fitSummaryFile(path, "pareto-nbd");

    // Assess
    expect(errors).toEqual([]);
    expect(fit.boundary).toEqual(["s", "beta"]);
    expect(fit.reducesTo).toBe("NBD: no dropout seen");
    expect(fit.warnings.some((w) => w.includes("P(alive) is close to 1 for every contact"))).toBe(true);
    expect(JSON.parse(JSON.stringify(fit.standardErrors))).toMatchObject({ s: null, beta: null });
  });

  it("fits inside the range say nothing of bounds: the CDNOW sample's published fits", () => {
    // Prepare: Fader, Hardie & Lee (2005) — BG/NBD r = 0.243, α = 4.414, a = 0.793, b = 2.426; MBG/NBD ≈ (0.525, 6.183, 0.891, 1.614).
    const table = purchaseTable(cdnowSummaries());

    for (const model of [bgNbd, mbgNbd, paretoNbd]) {
      // Act
      const fit = fitModel(model, table);

      // Assess
      expect(fit.boundary, model.name).toEqual([]);
      expect(fit.warnings).toEqual([]);
      expect(fit.reducesTo).toBeUndefined();
    }
  });
});

describe("model selection keeps the simplest of the candidates the holdout cannot tell apart", () => {
  const contacts = 3000;
  const noise = (seed: number, scale: number) => {
    const random = seededRandom(seed);
    return Float64Array.from({ length: contacts }, () => scale * random());
  };
  const candidate = (model: CandidateErrors["model"], absoluteErrors: Float64Array, freeParameters = 4): CandidateErrors => ({
    model,
    freeParameters,
    weights: new Float64Array(contacts).fill(1),
    absoluteErrors,
    squaredErrors: Float64Array.from(absoluteErrors, (v) => v * v),
    logLosses: Float64Array.from(absoluteErrors, (v) => v / 2),
  });

  it("identical forecasts (three fits of one limit): the simplest, and the reason says they are indistinguishable", () => {
    // Prepare
    const errors = noise(1, 2);
    const tiny = Float64Array.from(errors, (v, i) => v - (i % 2) * 1e-9);

    // Act
    const result = selectModel([candidate("pareto-nbd", tiny, 2), candidate("mbg-nbd", errors, 2), candidate("bg-nbd", errors, 2)])!;

    // Assess
    expect(result.selection.chosen).toBe("bg-nbd");
    expect(result.selection.best).toBe("pareto-nbd");
    expect(result.selection.indistinguishable).toEqual(["bg-nbd", "mbg-nbd", "pareto-nbd"]);
    expect(result.selection.reason).toContain("indistinguishable");
    expect(result.ranked[0]).toBe("bg-nbd");
  });

  it("a difference far beyond the noise picks the better model, however complex", () => {
    // Prepare: pareto-nbd's error is lower by 0.2 on every contact.
    const errors = noise(2, 2);
    const better = Float64Array.from(errors, (v) => Math.max(0, v - 0.2));

    // Act
    const result = selectModel([candidate("bg-nbd", errors), candidate("pareto-nbd", better)])!;

    // Assess
    expect(result.selection.chosen).toBe("pareto-nbd");
    expect(result.selection.indistinguishable).toEqual(["pareto-nbd"]);
    expect(result.ranked).toEqual(["pareto-nbd", "bg-nbd"]);
  });

  it("ranks by squared error: a forecast of the mean beats one of zero, which absolute error would prefer", () => {
    // Prepare: 4 contacts in 5 buy nothing in the holdout, 1 buys 5 times (mean 1). mbg-nbd forecasts 0 for
    // everyone (absolute error 1, squared 5 a contact); pareto-nbd the mean, 1 (absolute 1.6, squared 4).
    const actual = Float64Array.from({ length: contacts }, (_, i) => (i % 5 === 0 ? 5 : 0));
    const forecasting = (model: CandidateErrors["model"], forecast: number): CandidateErrors => ({
      model,
      freeParameters: 4,
      weights: new Float64Array(contacts).fill(1),
      absoluteErrors: actual.map((y) => Math.abs(forecast - y)),
      squaredErrors: actual.map((y) => (forecast - y) ** 2),
      logLosses: new Float64Array(contacts).fill(0.5),
    });

    // Act
    const result = selectModel([forecasting("mbg-nbd", 0), forecasting("pareto-nbd", 1)])!;

    // Assess
    expect(result.selection.chosen).toBe("pareto-nbd");
    expect(result.selection.reason).toContain("smallest mean squared error");
  });

  it("says which of the candidates not kept are indistinguishable from each other", () => {
    // Prepare: three fits of one limit, and mbg-cnbd-k better than them by 0.2 on every contact.
    const errors = noise(4, 2);
    const better = Float64Array.from(errors, (v) => Math.max(0, v - 0.2));

    // Act
    const result = selectModel([candidate("bg-nbd", errors, 2), candidate("mbg-nbd", errors, 2), candidate("pareto-nbd", errors, 2), candidate("mbg-cnbd-k", better)])!;

    // Assess
    expect(result.selection.chosen).toBe("mbg-cnbd-k");
    expect(result.selection.alike).toEqual([["bg-nbd", "mbg-nbd", "pareto-nbd"]]);
    expect(result.selection.reason).toContain("bg-nbd, mbg-nbd, pareto-nbd are indistinguishable from each other.");
  });

  it("a model at a bound has fewer free parameters, so it counts as simpler", () => {
    // Prepare: the same errors; mbg-nbd is at its no-dropout limit (2 free parameters).
    const errors = noise(3, 2);

    // Act
    const result = selectModel([candidate("bg-nbd", errors, 4), candidate("mbg-nbd", errors, 2)])!;

    // Assess
    expect(result.selection.chosen).toBe("mbg-nbd");
  });
});
