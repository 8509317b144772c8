import { digamma, logGamma } from "../numeric/log-gamma.js";
import { summaryTable, tableIndex, type CustomerSummary, type SummaryTable } from "./customer-summary.js";
import { fitModel, type LikelihoodModel } from "./fit.js";
import type { FitOptions, ModelFit } from "./purchase-model.js";

/**
 * Gamma-Gamma model of monetary value (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013,
 * "The Gamma-Gamma model of monetary value"): each order's value is Gamma(p, ν), ν ~ Gamma(q, γ)
 * across customers, independent of the purchase process. Fitted on repeat buyers' mean repeat value.
 */
export type GammaGammaParams = {
  p: number;
  q: number;
  gamma: number;
};

/**
 * log f(m̄ₓ | x; p, q, γ), Fader & Hardie (2013) eq. 3 (the density of the mean of x order values):
 * Γ(px+q) / (Γ(px) Γ(q)) · γ^q · m̄^(px−1) · x^(px) / (γ + x m̄)^(px+q)
 */
export function gammaGammaLogLikelihood({ p, q, gamma }: GammaGammaParams, x: number, meanValue: number): number {
  const px = p * x;
  return (
    logGamma(px + q) - logGamma(px) - logGamma(q) + q * Math.log(gamma) + (px - 1) * Math.log(meanValue) + px * Math.log(x) - (px + q) * Math.log(gamma + x * meanValue)
  );
}

/**
 * log m̄ of each row of a table, computed once: an optimizer evaluates the likelihood dozens of
 * times on one table, and this log was a third of each pass's work.
 */
const logMeanValues = new WeakMap<SummaryTable, Float64Array>();

function logMeanValuesOf(table: SummaryTable): Float64Array {
  let logs = logMeanValues.get(table);
  if (!logs) {
    logs = new Float64Array(table.length);
    for (let i = 0; i < table.length; i++) logs[i] = Math.log(table.monetaryValue[i]!);
    logMeanValues.set(table, logs);
  }
  return logs;
}

/** Σ weight · eq. 3 over rows with x > 0 and m̄ > 0, with its analytic gradient. */
function tableLogLikelihood(theta: Float64Array, table: SummaryTable, gradient: Float64Array | null): number {
  const p = theta[0]!;
  const q = theta[1]!;
  const gamma = theta[2]!;
  const index = tableIndex(table);
  const nx = index.frequencies.length;
  const common = new Float64Array(nx);
  const dCommonDp = new Float64Array(nx);
  const dCommonDq = new Float64Array(nx);
  const logGammaQ = logGamma(q);
  const psiQ = digamma(q);
  const logGammaParam = Math.log(gamma);
  for (let j = 0; j < nx; j++) {
    const x = index.frequencies[j]!;
    const px = p * x;
    common[j] = logGamma(px + q) - logGamma(px) - logGammaQ + q * logGammaParam + px * Math.log(x);
    if (gradient) {
      const psiPxQ = digamma(px + q);
      dCommonDp[j] = x * (psiPxQ - digamma(px) + Math.log(x));
      dCommonDq[j] = psiPxQ - psiQ + logGammaParam;
    }
  }
  let total = 0;
  let gp = 0;
  let gq = 0;
  let gg = 0;
  const { frequency, monetaryValue, weight } = table;
  const logMeanValue = logMeanValuesOf(table);
  for (let i = 0; i < table.length; i++) {
    const j = index.frequencyOf[i]!;
    const x = frequency[i]!;
    const m = monetaryValue[i]!;
    const w = weight[i]!;
    const px = p * x;
    const logM = logMeanValue[i]!;
    const denominator = gamma + x * m;
    const logDenominator = Math.log(denominator);
    total += w * (common[j]! + (px - 1) * logM - (px + q) * logDenominator);
    if (gradient) {
      gp += w * (dCommonDp[j]! + x * logM - x * logDenominator);
      gq += w * (dCommonDq[j]! - logDenominator);
      gg += w * (q / gamma - (px + q) / denominator);
    }
  }
  if (gradient) {
    gradient[0] = gp;
    gradient[1] = gq;
    gradient[2] = gg;
  }
  return total;
}

export const gammaGamma: LikelihoodModel<GammaGammaParams> = {
  name: "gamma-gamma",
  parameterNames: ["p", "q", "gamma"],
  starts: [
    [1, 1, 1],
    [5, 3, 15],
    [2, 5, 100],
  ],
  hasGradient: true,
  tableLogLikelihood,
};

/** Only repeat buyers with a positive mean repeat value carry information about spend. */
export function spendTable(summaries: Iterable<CustomerSummary>): SummaryTable {
  const repeatBuyers: CustomerSummary[] = [];
  for (const s of summaries) if (entersSpendFit(s.frequency, s.monetaryValue ?? 0)) repeatBuyers.push(s);
  return summaryTable(repeatBuyers);
}

/** Whether a contact's summary enters the Gamma-Gamma fit: repeat purchases with a mean value above 0. */
export function entersSpendFit(frequency: number, monetaryValue: number): boolean {
  return frequency > 0 && monetaryValue > 0;
}

export function fitGammaGamma(summaries: Iterable<CustomerSummary>, options: FitOptions = {}): ModelFit<GammaGammaParams> {
  return fitModel(gammaGamma, spendTable(summaries), options);
}

/**
 * E[M | p, q, γ, m̄ₓ, x], Fader, Hardie & Lee (2005) "RFM and CLV" eq. 5: a weighted mean of the
 * population mean pγ/(q−1) and the customer's own mean, weighted by how many orders back it.
 */
export function expectedOrderValue({ p, q, gamma }: GammaGammaParams, x: number, meanValue: number): number {
  const populationMean = (p * gamma) / (q - 1);
  if (x <= 0 || !(meanValue > 0)) return populationMean;
  const weightOwn = (p * x) / (p * x + q - 1);
  return (1 - weightOwn) * populationMean + weightOwn * meanValue;
}
