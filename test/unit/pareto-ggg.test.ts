import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultParetoGggOptions, fitParetoGgg, paretoGggPredictor, potentialScaleReduction, R_HAT_LIMIT, type ParetoGggFit } from "../../functions/domain/clv/pareto-ggg.js";
import { fitParetoGggFile } from "../../functions/local/cli/fit-command.js";
import { paretoNbd } from "../../functions/domain/clv/pareto-nbd.js";
import { logUpperGammaRegularized } from "../../functions/domain/numeric/incomplete-gamma.js";
import { seededRandom } from "../../functions/domain/numeric/random.js";
import { sliceSample } from "../../functions/domain/numeric/slice-sampler.js";
import { cdnowCalibrationSummaries } from "../support/cdnow.js";
import { simulateParetoGgg } from "../support/simulate.js";

// Pareto/GGG: Platzer & Reutterer (2016), Marketing Science 35(5); BTYDplus (mplatzer/BTYDplus) pggg.*.
// No published Pareto/GGG estimates on the CDNOW sample are available offline (BTYDplus's demo prints
// them without recording them), so the model is checked by recovery on data drawn from its own story.

describe("log Q(a, x), the regularized upper incomplete gamma function", () => {
  it.each([
    // log(scipy.special.gammaincc(a, x)), scipy 1.x, double precision.
    [0.5, 0.1, -0.42354632347596605],
    [0.5, 3, -4.24708474678559],
    [1, 2, -2.0],
    [3, 0.5, -0.014492184218299219],
    [3, 10, -5.889126135826688],
    [10, 9, -0.5320352250216922],
    [10, 11, -1.0773088984752515],
    [0.05, 0.001, -1.2989402160759926],
    [50, 80, -8.941963629569079],
    [2, 200, -194.69669509194094],
    [0.3, 30, -33.49900179342815],
  ])("Q(%s, %s)", (a, x, expected) => {
    expect(logUpperGammaRegularized(a, x)).toBeCloseTo(expected, 11);
  });

  it("is 1 at x = 0 and 0 at infinity", () => {
    expect(logUpperGammaRegularized(2, 0)).toBe(0);
    expect(logUpperGammaRegularized(2, Infinity)).toBe(-Infinity);
  });
});

describe("slice sampling (Neal 2003)", () => {
  it("draws a Gamma(3, 2) with its mean 1.5 and variance 0.75", () => {
    // Prepare: the log density up to a constant, on (0, ∞).
    const logDensity = (x: number) => (x > 0 ? 2 * Math.log(x) - 2 * x : -Infinity);
    const random = seededRandom(5);
    let x = 1;
    let value = logDensity(x);
    const draws: number[] = [];
    // Act
    for (let i = 0; i < 20_000; i++) {
      ({ x, logDensity: value } = sliceSample(logDensity, x, value, 1, random, 0));
      draws.push(x);
    }
    // Assess
    const mean = draws.reduce((s, v) => s + v, 0) / draws.length;
    const variance = draws.reduce((s, v) => s + (v - mean) ** 2, 0) / draws.length;
    expect(mean).toBeCloseTo(1.5, 1);
    expect(variance).toBeCloseTo(0.75, 1);
  });
});

describe("Pareto/GGG by MCMC on simulated contacts (BTYDplus's example parameters: t = 4.5, γ = 1.5, r = 5, α = 10, s = 0.8, β = 12)", () => {
  const truth = { t: 4.5, gamma: 1.5, r: 5, alpha: 10, s: 0.8, beta: 12 };
  // As BTYDplus's pggg.GenerateData example: 1,000 customers, 32 periods observed, 32 forecast.
  const customers = simulateParetoGgg(truth, 1000, { seed: 1, T: () => 32, horizon: 32 });
  const summaries = customers.map((c) => c.summary);
  let fitted: ParetoGggFit | undefined;
  // Fitted once, by the first test that needs it.
  const fitOnce = () => (fitted ??= fitParetoGgg(summaries));

  it("recovers the six heterogeneity parameters and the mean regularity t/γ", () => {
    // Act
    const fit = fitOnce();
    // Assess: posterior medians within 20 % (BTYDplus's own check of its sampler is a visual one), the mean k within 10 %.
    for (const name of ["t", "gamma", "r", "alpha", "s", "beta"] as const) {
      expect(Math.abs(fit.params[name] / truth[name] - 1), name).toBeLessThan(0.2);
    }
    expect(Math.abs(fit.params.t / fit.params.gamma / (truth.t / truth.gamma) - 1)).toBeLessThan(0.1);
    expect(fit.draws).toHaveLength(defaultParetoGggOptions.draws * defaultParetoGggOptions.chains);
    // Four chains on interleaved samples of the contacts settle on one posterior here (Gelman et al. 2013's 1.1).
    for (const name of ["t", "gamma", "r", "alpha", "s", "beta"] as const) expect(fit.rHat![name], name).toBeLessThan(1.1);
    expect(fit.warnings).toEqual([]);
  });

  it("forecasts the next 32 periods' purchases and the share alive as simulated", () => {
    // Act
    const predict = paretoGggPredictor(fitOnce(), 32, 8);
    let predicted = 0;
    let actual = 0;
    let alive = 0;
    let aliveActual = 0;
    let none8 = 0;
    let none8Actual = 0;
    for (const c of customers) {
      const p = predict(c.summary);
      predicted += p.expectedPurchases;
      actual += c.futurePurchases.length;
      alive += p.probabilityAlive;
      aliveActual += c.aliveAtT ? 1 : 0;
      none8 += p.probabilityNoPurchase;
      none8Actual += c.futurePurchases.every((t) => t > c.summary.T + 8) ? 1 : 0;
    }
    // Assess: totals within 5 %, the share alive and without a purchase in 8 periods within 0.03.
    expect(Math.abs(predicted / actual - 1)).toBeLessThan(0.05);
    expect(Math.abs(alive - aliveActual) / customers.length).toBeLessThan(0.03);
    expect(Math.abs(none8 - none8Actual) / customers.length).toBeLessThan(0.03);
  });

  it("gives the same draws and predictions for the same data and seed, and other draws for another seed", () => {
    // Prepare: a smaller run, to keep the test quick.
    const options = { ...defaultParetoGggOptions, burnin: 20, draws: 10, maxContacts: 200, chains: 1 };
    // Act
    const one = fitParetoGgg(summaries, options);
    const two = fitParetoGgg(summaries, options);
    const other = fitParetoGgg(summaries, { ...options, seed: options.seed + 1 });
    // Assess
    expect(two.draws).toEqual(one.draws);
    expect(other.draws).not.toEqual(one.draws);
    expect(paretoGggPredictor(two, 32, 8)(summaries[3]!)).toEqual(paretoGggPredictor(one, 32, 8)(summaries[3]!));
    expect(one.sampledContacts).toBe(200);
    expect(one.customers).toBe(1000);
    // The same contacts in another order are the same data.
    expect(fitParetoGgg([...summaries].reverse(), options).draws).toEqual(one.draws);
  });

  it("needs each contact's litt, and says which contact lacks it", () => {
    expect(() => fitParetoGgg([{ frequency: 1, recency: 2, T: 5, logInterPurchaseTimes: 0.7 }, { frequency: 0, recency: 0, T: 5 }])).toThrow(/contact 2 .*litt/);
  });
});

describe("R̂, the chains' potential scale reduction (Gelman & Rubin 1992)", () => {
  it("is about 1 for chains drawn from one distribution and well above 1.1 for chains stuck apart", () => {
    // Prepare
    const random = seededRandom(3);
    const normal = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
    const together = Array.from({ length: 4 }, () => Array.from({ length: 200 }, normal));
    const apart = Array.from({ length: 4 }, (_, c) => Array.from({ length: 200 }, () => normal() + 2 * c));

    // Act and assess
    expect(Math.abs(potentialScaleReduction(together) - 1)).toBeLessThan(0.02);
    expect(potentialScaleReduction(apart)).toBeGreaterThan(R_HAT_LIMIT);
    expect(potentialScaleReduction([together[0]!])).toBeNaN();
  });
});

describe("clv fit --model pareto-ggg on a summary CSV", () => {
  const dir = mkdtempSync(join(tmpdir(), "pareto-ggg-"));
  const truth = { t: 4.5, gamma: 1.5, r: 5, alpha: 10, s: 0.8, beta: 12 };
  const rows = simulateParetoGgg(truth, 120, { seed: 2, T: () => 32, horizon: 0 }).map((c, i) => ({ id: i, ...c.summary }));

  it("reads each contact's litt and returns the pooled posterior with its intervals and R̂", async () => {
    // Prepare
    const path = join(dir, "with-litt.csv");
    writeFileSync(path, ["customer_id,frequency,recency,T,litt", ...rows.map((s) => `${s.id},${s.frequency},${s.recency},${s.T},${s.logInterPurchaseTimes}`)].join("\n"));

    // Act
    const { fit, errors } = await fitParetoGggFile(path);

    // Assess: every contact in some chain; each median inside its 90 % interval.
    expect(errors).toEqual([]);
    expect(fit.customers).toBe(120);
    expect(fit.sampledContacts).toBe(120);
    for (const name of ["t", "gamma", "r", "alpha", "s", "beta"] as const) {
      const [low, high] = fit.intervals![name];
      expect(fit.params[name]).toBeGreaterThanOrEqual(low);
      expect(fit.params[name]).toBeLessThanOrEqual(high);
      expect(fit.rHat![name]).toBeGreaterThan(0.9);
    }
  });

  it("names the missing litt column instead of fitting without it", async () => {
    // Prepare
    const path = join(dir, "without-litt.csv");
    writeFileSync(path, ["customer_id,frequency,recency,T", ...rows.slice(0, 20).map((s) => `${s.id},${s.frequency},${s.recency},${s.T}`)].join("\n"));
    // Act / Assess
    await expect(fitParetoGggFile(path)).rejects.toThrow(/pareto-ggg needs a litt column.*the columns are customer_id, frequency, recency, T/);
  });
});

describe("Pareto/GGG with k = 1 for everyone is Pareto/NBD", () => {
  it("its sampled predictions add up to Pareto/NBD's closed forms on the CDNOW sample at the published parameters", () => {
    // Prepare: k ~ Gamma(10⁶, 10⁶) is 1 within 0.1 %; (r, α, s, β) = (0.553, 10.580, 0.606, 11.656), Fader, Hardie & Lee (2005), CDNOW sample.
    const nbd = { r: 0.553, alpha: 10.58, s: 0.606, beta: 11.656 };
    const draws = Array.from({ length: 60 }, () => Float64Array.of(1e6, 1e6, nbd.r, nbd.alpha, nbd.s, nbd.beta));
    const fit: ParetoGggFit = { model: "pareto-ggg", params: { t: 1e6, gamma: 1e6, ...nbd }, draws, customers: 0, sampledContacts: 0, sweeps: 0, options: defaultParetoGggOptions };
    const predict = paretoGggPredictor(fit, 39, 13);
    const sampled = { purchases: 0, alive: 0, none: 0 };
    const closed = { purchases: 0, alive: 0, none: 0 };
    // Act
    for (const c of cdnowCalibrationSummaries()) {
      const p = predict(c);
      sampled.purchases += p.expectedPurchases;
      sampled.alive += p.probabilityAlive;
      sampled.none += p.probabilityNoPurchase;
      closed.purchases += paretoNbd.expectedPurchases(nbd, c, 39);
      closed.alive += paretoNbd.probabilityAlive(nbd, c);
      closed.none += paretoNbd.probabilityNoPurchase(nbd, c, 13);
    }
    // Assess: the 39-week total within 3 % (Monte Carlo over 60 draws a contact), the counts alive and without a purchase within 2 %.
    expect(Math.abs(sampled.purchases / closed.purchases - 1)).toBeLessThan(0.03);
    expect(Math.abs(sampled.alive / closed.alive - 1)).toBeLessThan(0.02);
    expect(Math.abs(sampled.none / closed.none - 1)).toBeLessThan(0.02);
  });
});
