import { fnv1a } from "../numeric/fnv1a.js";
import { logUpperGammaRegularized } from "../numeric/incomplete-gamma.js";
import { gaussLegendre, logIntegral } from "../numeric/gauss-legendre.js";
import { logAddExp, logGamma } from "../numeric/log-gamma.js";
import { gammaSample, seededRandom } from "../numeric/random.js";
import { sliceSample } from "../numeric/slice-sampler.js";
import type { CustomerSummary } from "./customer-summary.js";
import type { ContactPrediction, Predictor } from "./purchase-model.js";

/**
 * Pareto/GGG (Platzer & Reutterer 2016, "Ticking away the moments: timing regularity helps to better
 * predict customer activity", Marketing Science 35(5), §3; BTYDplus `pggg.mcmc.DrawParameters`).
 * While alive, a customer's times between purchases are Gamma(kᵢ, kᵢλᵢ) — mean 1/λᵢ, the larger kᵢ the
 * more regular (kᵢ = 1 is Pareto/NBD's Poisson) — and the lifetime τᵢ is Exponential(μᵢ), with
 *   kᵢ ~ Gamma(t, γ),  λᵢ ~ Gamma(r, α),  μᵢ ~ Gamma(s, β)   (shape, rate).
 * There is no closed-form likelihood: the parameters are drawn by MCMC, a Gibbs sampler over each
 * contact's (k, λ, μ, τ) and the six heterogeneity parameters, with slice sampling (Neal 2003) where no
 * conditional is a known distribution. Seeded, so the same data give the same result, and capped in
 * sweeps and contacts, so it costs a bounded time (ParetoGggOptions).
 *
 * Several chains on interleaved samples of the contacts, pooled, with R̂ to say whether they agree.
 * Not a candidate of the nightly selection: it needs each contact's litt (the nightly fold keeps only
 * their total), it costs more than the rest of the night together (a chain per distinct history for
 * the forecasts besides the fit), and on stores where most contacts buy once or twice its chains do not
 * agree (R̂ of 1.7–4 for t, γ, r, α on the CDNOW sample): those contacts' k are barely informed.
 * It recovers its parameters and forecasts without bias on data with enough purchases (pareto-ggg.test.ts).
 */
export type ParetoGggParams = { t: number; gamma: number; r: number; alpha: number; s: number; beta: number };

export interface ParetoGggOptions {
  /** Seed of the sampler: the same data and seed give the same draws. */
  seed: number;
  /** Sweeps discarded before draws are kept. */
  burnin: number;
  /** Heterogeneity-parameter draws kept. */
  draws: number;
  /** Sweeps between kept draws. */
  thin: number;
  /**
   * At most this many contacts (a systematic sample of them) inform each chain's heterogeneity
   * parameters: the sampler's cost grows with contacts × sweeps.
   */
  maxContacts: number;
  /**
   * Independent chains, each on its own systematic sample of the contacts (the samples interleave, so
   * chains × maxContacts contacts inform the pooled draws) and its own seed; their agreement is R̂.
   */
  chains: number;
  /** Sweeps of a contact's own chain (given the kept draws) discarded before its predictions. */
  contactBurnin: number;
  /** A contact's forecast sweeps its chain once for each of at most this many of the kept draws, spread evenly. */
  predictionDraws: number;
}

export const defaultParetoGggOptions: ParetoGggOptions = { seed: 2016, burnin: 150, draws: 30, thin: 2, maxContacts: 500, chains: 4, contactBurnin: 15, predictionDraws: 60 };

/** R̂ above this (Gelman et al. 2013, Bayesian Data Analysis §11.4) says the chains have not settled on one posterior. */
export const R_HAT_LIMIT = 1.1;

export interface ParetoGggFit {
  model: "pareto-ggg";
  /** Posterior medians of the heterogeneity parameters, over every chain's draws. */
  params: ParetoGggParams;
  /** The 5 % and 95 % points of each parameter's draws: a 90 % credible interval. */
  intervals?: Record<keyof ParetoGggParams, [number, number]>;
  /** Potential scale reduction of each parameter's log across the chains (1 when they agree; NaN with one chain). */
  rHat?: Record<keyof ParetoGggParams, number>;
  /** The kept draws, [t, γ, r, α, s, β] each, chain after chain. */
  draws: Float64Array[];
  /** Contacts given, and the contacts the heterogeneity parameters were sampled on (all chains). */
  customers: number;
  sampledContacts: number;
  /** Sweeps of each chain. */
  sweeps: number;
  options: ParetoGggOptions;
  /** What the figures' reader should know, in words: chains that disagree. */
  warnings?: string[];
}

const PARAMETER_NAMES = ["t", "gamma", "r", "alpha", "s", "beta"] as const;

/** A contact's data: x repeat purchases, the last at tₓ, observed to T, Σ log(time between purchases). */
interface ContactData {
  x: number;
  tx: number;
  T: number;
  litt: number;
}

/** A contact's latent state in the sampler. */
interface ContactState {
  k: number;
  lambda: number;
  mu: number;
  tau: number;
}

const LOG_K_BOUND = 7;
const LOG_LAMBDA_BOUND = 30;

/** log Q(k, kλ·u): no purchase in the u after the last one (the Gamma(k, kλ) survival function). */
const logNoPurchase = (k: number, lambda: number, u: number) => (u > 0 ? logUpperGammaRegularized(k, k * lambda * u) : 0);

/**
 * One Gibbs sweep over a contact's (k, λ, μ, τ) given the heterogeneity parameters. The conditionals
 * follow from the contact's likelihood given its parameters (Platzer & Reutterer 2016, eq. 4 with
 * the x Gamma densities written out): Π Gamma(ittⱼ; k, kλ) · Q(k, kλ·(min(T, τ) − tₓ)), which in log is
 *   k·x·log(kλ) − x·log Γ(k) + (k − 1)·litt − kλ·tₓ + log Q(k, kλ·(min(T, τ) − tₓ)).
 * k and λ are slice-sampled on the log scale, then (alive, τ, μ) are drawn together (drawLifetime).
 */
function sweepContact(d: ContactData, st: ContactState, p: ParetoGggParams, random: () => number): void {
  const { x, tx, T, litt } = d;
  const observed = Math.min(T, st.tau) - tx;
  // k on φ = log k, the Jacobian e^φ folded into the prior's (t − 1)·log k.
  const logK = (phi: number) => {
    const k = Math.exp(phi);
    return p.t * phi - p.gamma * k + k * x * Math.log(k * st.lambda) - x * logGamma(k) + (k - 1) * litt - k * st.lambda * tx + logNoPurchase(k, st.lambda, observed);
  };
  const phi0 = Math.log(st.k);
  st.k = Math.exp(sliceSample(logK, phi0, logK(phi0), 1, random, -LOG_K_BOUND, LOG_K_BOUND).x);
  // λ on ψ = log λ likewise; terms without λ left out.
  const logLambda = (psi: number) => {
    const lambda = Math.exp(psi);
    return (p.r + st.k * x) * psi - p.alpha * lambda - st.k * lambda * tx + logNoPurchase(st.k, lambda, observed);
  };
  const psi0 = Math.log(st.lambda);
  st.lambda = Math.exp(sliceSample(logLambda, psi0, logLambda(psi0), 1, random, -LOG_LAMBDA_BOUND, LOG_LAMBDA_BOUND).x);
  drawLifetime(d, st, p, random);
}

const RULE = gaussLegendre(8);

/**
 * (alive at T, τ, μ) drawn together given k, λ and (s, β), μ integrated out first — drawing μ | τ and
 * τ | μ in turn couples them so tightly that the chain, and (s, β) with it, hardly moves. With
 * μ ~ Gamma(s, β), E[e^(−μT)] = (β/(β+T))^s and E[μe^(−μτ)] = sβ^s/(β+τ)^(s+1), so
 *   P(alive) ∝ Q(k, kλ(T − tₓ)) · (β/(β+T))^s,
 *   P(died at τ ∈ (tₓ, T)) ∝ s·β^s/(β+τ)^(s+1) · Q(k, kλ(τ − tₓ))
 * (the second integrated by Gauss–Legendre on panels at tₓ + m/λ, where Q falls). Alive: μ | alive ~
 * Gamma(s, β + T), τ = T + Exponential(μ). Died: τ by slice sampling from its density on (tₓ, T), then
 * μ | τ ~ Gamma(s + 1, β + τ).
 */
function drawLifetime(d: ContactData, st: ContactState, p: ParetoGggParams, random: () => number): void {
  const { tx, T } = d;
  const { k, lambda } = st;
  const logAlive = logNoPurchase(k, lambda, T - tx) + p.s * (Math.log(p.beta) - Math.log(p.beta + T));
  const logDiedAt = (tau: number) => Math.log(p.s) + p.s * Math.log(p.beta) - (p.s + 1) * Math.log(p.beta + tau) + logNoPurchase(k, lambda, tau - tx);
  const breaks = [0.5, 1, 2, 4, 8].map((m) => tx + m / lambda);
  const logDied = logIntegral(logDiedAt, tx, T, breaks, RULE);
  const alive = Math.log(random()) < logAlive - logAddExp(logAlive, logDied);
  if (alive) {
    st.mu = Math.max(gammaSample(random, p.s, p.beta + T), 1e-13);
    st.tau = T - Math.log(random()) / st.mu;
    return;
  }
  const tau0 = st.tau > tx && st.tau < T ? st.tau : (tx + T) / 2;
  st.tau = sliceSample(logDiedAt, tau0, logDiedAt(tau0), (T - tx) / 2, random, tx, T).x;
  st.mu = Math.max(gammaSample(random, p.s + 1, p.beta + st.tau), 1e-13);
}

/** Prior hyperparameters of every shape and rate: Gamma(0.001, 0.001), vague, as in BTYDplus. */
const HYPER = 0.001;

/**
 * One draw of a Gamma(shape, rate) population's parameters given its members' values (n, Σy, Σ log y),
 * under Gamma(HYPER, HYPER) priors on both: the rate from its conjugate Gamma(HYPER + n·shape, HYPER + Σy),
 * then the shape by slice sampling on its log with the mean shape/rate held (the rate moving with it).
 * Shape and rate are strongly correlated a posteriori (the mean is pinned down far better than the
 * spread), so updating one at a fixed other crawls along the ridge; moving along it mixes in a few sweeps.
 */
function drawPopulation(shape: number, n: number, sum: number, sumLog: number, random: () => number): [number, number] {
  const rate = gammaSample(random, HYPER + n * shape, HYPER + sum);
  const mean = shape / rate;
  // log p(a, b = a/m) + log|∂(a, b)/∂(a, m)| + log|∂a/∂φ| at a = e^φ: the two Jacobians add 2φ − log m.
  const logShape = (phi: number) => {
    const a = Math.exp(phi);
    const b = a / mean;
    return n * (a * Math.log(b) - logGamma(a)) + (a - 1) * sumLog - b * sum + (HYPER - 1) * (phi + Math.log(b)) - HYPER * (a + b) + 2 * phi;
  };
  const phi0 = Math.log(shape);
  const next = Math.exp(sliceSample(logShape, phi0, logShape(phi0), 0.5, random, -20, 20).x);
  return [next, next / mean];
}

/**
 * One draw of (s, β) given the contacts' lifetimes with their μ integrated out: τ ~ Exponential(μ),
 * μ ~ Gamma(s, β) make τ Lomax, P(τ > T) = (β/(β+T))^s and density sβ^s/(β+τ)^(s+1), so a contact alive at
 * its T contributes s·log(β/(β+T)) and one that died at τ log s + s·log β − (s+1)·log(β+τ). Each on its
 * log by slice sampling, under the same vague priors. Drawn through the μ's instead, (s, β) would only
 * crawl: most contacts' μ is barely informed by their few purchases, so it echoes the (s, β) it was drawn from.
 */
function drawLifetimePopulation(s0: number, beta0: number, data: readonly ContactData[], states: readonly ContactState[], random: () => number): [number, number] {
  // The log posterior of (s, β), Jacobians left out.
  const logPosterior = (s: number, beta: number) => {
    let value = (HYPER - 1) * Math.log(s) - HYPER * s + (HYPER - 1) * Math.log(beta) - HYPER * beta;
    const logBeta = Math.log(beta);
    for (let i = 0; i < data.length; i++) {
      const d = data[i]!;
      const tau = states[i]!.tau;
      value += tau > d.T ? s * (logBeta - Math.log(beta + d.T)) : Math.log(s) + s * logBeta - (s + 1) * Math.log(beta + tau);
    }
    return value;
  };
  // s on its log with the mean dropout rate s/β held (β moving with it), as drawPopulation: along the
  // ridge the data leave, where s at a fixed β crawls; the Jacobians add 2 log s. Then β on its log.
  const rate = s0 / beta0;
  const alongRidge = (phi: number) => logPosterior(Math.exp(phi), Math.exp(phi) / rate) + 2 * phi;
  const phi0 = Math.log(s0);
  const s = Math.exp(sliceSample(alongRidge, phi0, alongRidge(phi0), 0.5, random, -20, 20).x);
  const byRate = (psi: number) => logPosterior(s, Math.exp(psi)) + psi;
  const psi0 = Math.log(s / rate);
  const beta = Math.exp(sliceSample(byRate, psi0, byRate(psi0), 0.5, random, -20, 20).x);
  return [s, beta];
}

function contactData(s: CustomerSummary): ContactData {
  return { x: s.frequency, tx: s.recency, T: s.T, litt: s.logInterPurchaseTimes ?? Number.NaN };
}

/** A contact's starting state: regularity 1, its own rate, and a death half a purchase after the last one. */
function initialState(d: ContactData, p: ParetoGggParams): ContactState {
  const lambda = (d.x + 0.5) / (d.T + 1);
  const tau = d.tx + 0.5 / lambda;
  return { k: Math.max(0.05, Math.min(20, p.t / p.gamma)), lambda, mu: 1 / tau, tau };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/**
 * Draws Pareto/GGG's heterogeneity parameters from their posterior given the contacts (each with its
 * litt): `chains` independent chains, each Gibbs sweeps over its sampled contacts' (k, λ, μ, τ), then
 * over (t, γ), (r, α), (s, β); the draws pooled, and R̂ (Gelman et al. 2013, §11.4) says whether the
 * chains agree. Throws when a contact has no litt (the regularity is read from the times between purchases).
 */
export function fitParetoGgg(summaries: readonly CustomerSummary[], options: ParetoGggOptions = defaultParetoGggOptions): ParetoGggFit {
  if (summaries.length === 0) throw new Error("pareto-ggg: no contacts to fit on");
  const missing = summaries.findIndex((s) => s.logInterPurchaseTimes === undefined || !Number.isFinite(s.logInterPurchaseTimes));
  if (missing >= 0) throw new Error(`pareto-ggg: contact ${missing + 1} has no sum of log times between purchases (litt), which the regularity is read from`);
  // In a canonical order (by x, tₓ, T, litt), so the same contacts in any order give the same draws;
  // each chain takes every step-th of them from its own offset: samples spread over every frequency.
  const ordered = summaries.map(contactData).sort((p, q) => p.x - q.x || p.tx - q.tx || p.T - q.T || p.litt - q.litt);
  const chains = Math.max(1, Math.floor(options.chains));
  const step = Math.max(1, Math.ceil(ordered.length / options.maxContacts));
  const sampled = new Set<number>();
  const perChain: Float64Array[][] = [];
  for (let c = 0; c < chains; c++) {
    const data: ContactData[] = [];
    for (let i = Math.floor((c * step) / chains); i < ordered.length; i += step) {
      data.push(ordered[i]!);
      sampled.add(i);
    }
    perChain.push(runChain(data, options, options.seed + 7919 * c));
  }
  const draws = perChain.flat();
  const column = (j: number) => draws.map((d) => d[j]!).sort((a, b) => a - b);
  const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const params = {} as ParetoGggParams;
  const intervals = {} as Record<keyof ParetoGggParams, [number, number]>;
  const rHat = {} as Record<keyof ParetoGggParams, number>;
  PARAMETER_NAMES.forEach((name, j) => {
    const sorted = column(j);
    params[name] = quantile(sorted, 0.5);
    intervals[name] = [quantile(sorted, 0.05), quantile(sorted, 0.95)];
    rHat[name] = potentialScaleReduction(perChain.map((chain) => chain.map((d) => Math.log(d[j]!))));
  });
  const unsettled = PARAMETER_NAMES.filter((name) => rHat[name] > R_HAT_LIMIT);
  const warnings =
    unsettled.length > 0
      ? [`The ${chains} chains disagree on ${unsettled.join(", ")} (R̂ ${unsettled.map((n) => rHat[n].toFixed(2)).join(", ")} > ${R_HAT_LIMIT}): the sampler has not settled within ${options.burnin + options.draws * options.thin} sweeps, so these figures would move with another seed or sample of contacts.`]
      : [];
  return { model: "pareto-ggg", params, intervals, rHat, draws, customers: summaries.length, sampledContacts: sampled.size, sweeps: options.burnin + options.draws * options.thin, options, warnings };
}

/**
 * R̂ = √(V̂ / W): V̂ = (n−1)/n · W + B/n, W the mean within-chain variance and B/n the variance of
 * the chain means (Gelman & Rubin 1992; Gelman et al. 2013, eq. 11.3–11.4). NaN with one chain.
 */
export function potentialScaleReduction(chains: readonly (readonly number[])[]): number {
  const m = chains.length;
  const n = Math.min(...chains.map((c) => c.length));
  if (m < 2 || n < 2) return Number.NaN;
  const means = chains.map((c) => c.slice(0, n).reduce((a, v) => a + v, 0) / n);
  const grand = means.reduce((a, v) => a + v, 0) / m;
  const between = (n / (m - 1)) * means.reduce((a, v) => a + (v - grand) ** 2, 0);
  const within = chains.reduce((a, c, k) => a + c.slice(0, n).reduce((b, v) => b + (v - means[k]!) ** 2, 0) / (n - 1), 0) / m;
  if (!(within > 0)) return between > 0 ? Infinity : 1;
  return Math.sqrt(((n - 1) / n) * within + between / n) / Math.sqrt(within);
}

/** One chain over `data`: `burnin` sweeps, then `draws` kept every `thin` sweeps. */
function runChain(data: readonly ContactData[], options: ParetoGggOptions, seed: number): Float64Array[] {
  const random = seededRandom(seed);
  // Start from a Poisson-like store: regularity 1, the mean rate, lifetimes about the history's length.
  const meanRate = data.reduce((s, d) => s + (d.x + 0.5) / (d.T + 1), 0) / data.length;
  const meanT = data.reduce((s, d) => s + d.T, 0) / data.length;
  let p: ParetoGggParams = { t: 1, gamma: 1, r: 1, alpha: 1 / meanRate, s: 1, beta: meanT };
  const states = data.map((d) => initialState(d, p));
  const sweeps = options.burnin + options.draws * options.thin;
  const draws: Float64Array[] = [];
  for (let sweep = 1; sweep <= sweeps; sweep++) {
    for (let i = 0; i < data.length; i++) sweepContact(data[i]!, states[i]!, p, random);
    const [t, gamma] = drawPopulation(p.t, states.length, ...sums(states, "k"), random);
    const [r, alpha] = drawPopulation(p.r, states.length, ...sums(states, "lambda"), random);
    const [s, beta] = drawLifetimePopulation(p.s, p.beta, data, states, random);
    p = { t, gamma, r, alpha, s, beta };
    if (sweep > options.burnin && (sweep - options.burnin) % options.thin === 0) draws.push(Float64Array.of(t, gamma, r, alpha, s, beta));
  }
  return draws;
}

function sums(states: ContactState[], key: "k" | "lambda" | "mu"): [number, number] {
  let sum = 0;
  let sumLog = 0;
  for (const st of states) {
    sum += st[key];
    sumLog += Math.log(st[key]);
  }
  return [sum, sumLog];
}

const paramsOf = (draw: Float64Array): ParetoGggParams => ({ t: draw[0]!, gamma: draw[1]!, r: draw[2]!, alpha: draw[3]!, s: draw[4]!, beta: draw[5]! });

/**
 * A Gamma(k, rate) time between purchases that is longer than u (the contact has not bought for u since
 * the last purchase): by rejection while that is likely, else by inverting the survival function.
 */
function timeToNextPurchase(k: number, rate: number, u: number, random: () => number): number {
  if (!(u > 0)) return gammaSample(random, k, rate);
  const logSurvival = logUpperGammaRegularized(k, rate * u);
  if (logSurvival > Math.log(0.1)) {
    for (let tries = 0; tries < 200; tries++) {
      const y = gammaSample(random, k, rate);
      if (y > u) return y;
    }
  }
  // Q(k, rate·y) = Q(k, rate·u) · U, solved for y by bisection (Q decreases in y).
  const target = logSurvival + Math.log(random());
  let low = u;
  let high = u + Math.max(u, k / rate);
  for (let i = 0; i < 200 && logUpperGammaRegularized(k, rate * high) > target; i++) high += high - u;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (logUpperGammaRegularized(k, rate * mid) > target) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/**
 * A contact's predictions from its own chain given the fit's draws: the chain sweeps its (k, λ, μ, τ)
 * once per kept draw of the heterogeneity parameters (after `contactBurnin` sweeps), and each sweep's
 * state gives
 * - alive at T: τ > T (P(alive) is the share of sweeps);
 * - no purchase in (T, T + h]: when alive, the next purchase (Gamma, longer than T − tₓ) comes after
 *   min(τ, T + h): Q(k, kλ(min(τ, T + h) − tₓ)) / Q(k, kλ(T − tₓ)), exactly;
 * - purchases in (T, T + t]: simulated from that next purchase on up to min(τ, T + t), as BTYDplus's
 *   mcmc.DrawFutureTransactions does.
 * Seeded by the contact's summary, so a contact's figures do not depend on who else is scored.
 */
export function paretoGggPredictor(fit: ParetoGggFit, t: number, horizon: number): Predictor {
  const cache = new Map<string, ContactPrediction>();
  // At most predictionDraws of the kept draws, spread evenly over every chain's.
  const every = Math.max(1, Math.ceil(fit.draws.length / Math.max(1, fit.options.predictionDraws ?? fit.draws.length)));
  const draws = fit.draws.filter((_, i) => i % every === 0);
  const median = fit.params;
  return (s) => {
    const key = `${s.frequency}|${s.recency}|${s.T}|${s.logInterPurchaseTimes ?? 0}`;
    const known = cache.get(key);
    if (known) return known;
    const d = contactData(s);
    if (!Number.isFinite(d.litt)) d.litt = 0;
    const random = seededRandom((fnv1a(key) ^ fit.options.seed) >>> 0);
    const st = initialState(d, median);
    let alive = 0;
    let none = 0;
    let purchases = 0;
    const kept = draws.length;
    for (let j = 0; j < fit.options.contactBurnin + kept; j++) {
      sweepContact(d, st, paramsOf(draws[j % kept]!), random);
      if (j < fit.options.contactBurnin) continue;
      if (!(st.tau > d.T)) {
        none++;
        continue;
      }
      alive++;
      const rate = st.k * st.lambda;
      const overdue = d.T - d.tx;
      const logSurvivalNow = logNoPurchase(st.k, st.lambda, overdue);
      none += Math.exp(logNoPurchase(st.k, st.lambda, Math.min(st.tau, d.T + horizon) - d.tx) - logSurvivalNow);
      const end = Math.min(st.tau, d.T + t);
      let at = d.tx + timeToNextPurchase(st.k, rate, overdue, random);
      for (let n = 0; at <= end && n < 100_000; n++) {
        purchases++;
        at += gammaSample(random, st.k, rate);
      }
    }
    const prediction = { expectedPurchases: purchases / kept, probabilityAlive: alive / kept, probabilityNoPurchase: Math.min(1, none / kept) };
    cache.set(key, prediction);
    return prediction;
  };
}
