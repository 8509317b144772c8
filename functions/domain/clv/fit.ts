import { maximizeLikelihood, standardErrors } from "../numeric/optimizer.js";
import { contactCount, thinnedTable, type SummaryTable } from "./customer-summary.js";
import { ModelFitError, paramsFromVector, type FitOptions, type ModelFit, type ModelParams, type ParameterLimit, type PurchaseModel } from "./purchase-model.js";

/** Above this many distinct rows, starting points are tried on a thinned table first. */
const LARGE_TABLE_ROWS = 10_000;
/**
 * The thinned table the starts are tried on: a pass over it costs a tenth of one over 21,000 rows. From
 * 1,000 rows Pareto/NBD on a million simulated contacts ran off to its no-dropout limit, where each pass
 * is slow (35 s on 1,000 rows, then 27 s on 10,000); from 2,000 it starts near the maximum.
 */
const START_ROWS = 2_000;
/** How many times fewer rows the last thinned table may have than all rows (thinningLevels). */
const MAX_THINNING = 25;

/**
 * The thinned tables a fit goes through before all rows: the starts on START_ROWS, then one ten times
 * larger while the table has over MAX_THINNING times the last one's rows. Each level's maximum and
 * curvature start the next, so the passes over all rows are the few the last digits need: 50,000
 * contacts in 21,000 rows, 2,000 then 6 passes; a million in 433,000 rows, 2,000 and 20,000 then 4,
 * where from 10,000 (43 times fewer) the curvature was too rough and BG/NBD's polish took 224.
 */
function thinningLevels(rows: number): number[] {
  const levels = [START_ROWS];
  while (rows > MAX_THINNING * levels.at(-1)!) levels.push(levels.at(-1)! * 10);
  return levels;
}

/** What maximum likelihood needs of a model: purchase models and Gamma-Gamma alike. */
export interface LikelihoodModel<P extends ModelParams> {
  readonly name: string;
  readonly parameterNames: readonly (keyof P & string)[];
  readonly starts: readonly (readonly number[])[];
  readonly hasGradient: boolean;
  tableLogLikelihood(theta: Float64Array, table: SummaryTable, gradient: Float64Array | null): number;
  readonly limits?: readonly ParameterLimit[];
}

/**
 * A fit is at a limit when moving its parameters a million-fold toward it costs less than this in
 * log-likelihood: a likelihood-ratio statistic of 1, well inside sampling noise (the 95 % point of
 * χ²₁ is 3.84), so the data do not tell the estimate from the limit.
 */
const LIMIT_LOG_LIKELIHOOD_TOLERANCE = 0.5;
const LIMIT_FACTOR = 1e6;

/**
 * Maximum-likelihood fit on weighted distinct summaries. Throws ModelFitError with the reason when
 * no start converges: a fit is trusted or it is an error, never a silent answer. A maximum at a limit
 * of the parameter range (a → 0: no dropout) is a result, reported with `boundary`, `reducesTo` and
 * `warnings` (boundaryOf).
 */
export function fitModel<P extends ModelParams>(model: LikelihoodModel<P>, table: SummaryTable, options: FitOptions = {}): ModelFit<P> {
  return fitAtMaximum(model, table, maximumOf(model, table, options));
}

/** The fit at a maximum maximumOf found: its standard errors and the limits it is at (boundaryOf). */
export function fitAtMaximum<P extends ModelParams>(model: LikelihoodModel<P>, table: SummaryTable, maximum: ReturnType<typeof maximizeLikelihood>): ModelFit<P> {
  const logLikelihood = (theta: Float64Array, gradient: Float64Array | null) => model.tableLogLikelihood(theta, table, gradient);
  const errors = standardErrors(logLikelihood, maximum.theta, model.hasGradient, maximum.gradient);
  const limit = boundaryOf(model, maximum.theta, maximum.logLikelihood, maximum.atBound, (theta) => model.tableLogLikelihood(Float64Array.from(theta), table, null));
  for (const name of limit.boundary) errors[model.parameterNames.indexOf(name)] = Number.NaN;
  return {
    model: model.name,
    params: paramsFromVector<P>(model.parameterNames, maximum.theta),
    logLikelihood: maximum.logLikelihood,
    customers: contactCount(table),
    converged: true,
    iterations: maximum.iterations,
    standardErrors: paramsFromVector<P>(model.parameterNames, errors),
    ...limit,
  };
}

/**
 * The maximum of the likelihood alone, without fitModel's standard errors and limits: for comparing
 * several fits (MBG/CNBD-k's k) before finishing the one kept. Throws ModelFitError as fitModel does.
 */
export function maximumOf<P extends ModelParams>(model: LikelihoodModel<P>, table: SummaryTable, options: FitOptions = {}): ReturnType<typeof maximizeLikelihood> {
  const customers = contactCount(table);
  if (customers === 0) throw new ModelFitError(model.name, "no customers to fit on");
  const likelihoodOf = (t: SummaryTable) => (theta: Float64Array, gradient: Float64Array | null) => model.tableLogLikelihood(theta, t, gradient);
  const maximizeFrom = (starts: readonly (readonly number[])[], on: SummaryTable, inverseHessian?: readonly number[]) =>
    maximizeLikelihood(likelihoodOf(on), {
      starts,
      ...(inverseHessian && { inverseHessian }),
      analyticGradient: model.hasGradient,
      scale: contactCount(on),
      ...(options.maxIterations !== undefined && { maxIterations: options.maxIterations }),
      ...(options.gradientTolerance !== undefined && { gradientTolerance: options.gradientTolerance }),
    });
  const starts = [...model.starts, ...(options.starts ?? [])];
  let maximum: ReturnType<typeof maximizeLikelihood> | undefined;
  if (table.length > LARGE_TABLE_ROWS) {
    // Try every start on a thinned table, then polish the best one on larger ones and at last on all
    // rows, each from the curvature the run before learned (the objectives are per contact, so their
    // Hessians agree): a few full passes instead of a few hundred. Should a polish not converge, every
    // start runs on all rows.
    const [first, ...larger] = thinningLevels(table.length);
    let rough = maximizeFrom(starts, thinnedTable(table, first!));
    for (const rows of larger) if (rough.converged) rough = maximizeFrom([rough.theta], thinnedTable(table, rows), rough.inverseHessian);
    if (rough.converged) {
      const polished = maximizeFrom([rough.theta], table, rough.inverseHessian);
      if (polished.converged) maximum = polished;
    }
  }
  maximum ??= maximizeFrom(starts, table);
  if (!maximum.converged) {
    throw new ModelFitError(model.name, `did not converge from any of ${maximum.runs.length} starts (best: ${maximum.message}, log-likelihood ${maximum.logLikelihood.toFixed(2)})`);
  }
  return maximum;
}

/** A purchase model's fit: its own when it has one (MBG/CNBD-k), else fitModel. */
export function fitPurchaseModel<P extends ModelParams>(model: PurchaseModel<P>, table: SummaryTable, options: FitOptions = {}): ModelFit<P> {
  return model.fit ? model.fit(table, options) : fitModel(model, table, options);
}

/**
 * Which of the model's limits the maximum sits at: those where moving the parameters LIMIT_FACTOR-fold
 * toward the limit (a ratio of several kept) costs less than LIMIT_LOG_LIKELIHOOD_TOLERANCE. A parameter held at a bound that no declared limit names is
 * reported on its own.
 */
export function boundaryOf(
  model: { name: string; parameterNames: readonly string[]; limits?: readonly ParameterLimit[] },
  theta: readonly number[],
  logLikelihood: number,
  atBound: readonly number[],
  logLikelihoodAt: (theta: readonly number[]) => number,
): Pick<ModelFit, "boundary" | "reducesTo" | "warnings" | "freeParameters"> {
  const names = model.parameterNames;
  const heldNames = atBound.map((i) => names[i]!);
  const atLimit = (limit: ParameterLimit) => {
    // Always by the likelihood, even for a parameter the optimizer held: β held at ∞ with s grown as
    // large is the (s, β) → ∞ limit (one shared dropout rate), not β → ∞ alone (no dropout).
    const indexes = limit.parameters.map((p) => names.indexOf(p));
    const moved = theta.map((v, i) => (indexes.includes(i) ? (limit.toward === "0" ? v / LIMIT_FACTOR : v * LIMIT_FACTOR) : v));
    const value = logLikelihoodAt(moved);
    return Number.isFinite(value) && value >= logLikelihood - LIMIT_LOG_LIKELIHOOD_TOLERANCE;
  };
  // Limits in the model's order, simplest explanation first: once a parameter is explained by one
  // (a → 0: no dropout), a later limit naming it (a, b → ∞ together) adds nothing.
  const reached: ParameterLimit[] = [];
  for (const limit of model.limits ?? []) {
    if (limit.parameters.some((p) => reached.some((r) => r.parameters.includes(p) && r.parameters.length < limit.parameters.length))) continue;
    if (atLimit(limit)) reached.push(limit);
  }
  const boundary = [...new Set([...reached.flatMap((l) => l.parameters), ...heldNames])].sort((x, y) => names.indexOf(x) - names.indexOf(y));
  if (boundary.length === 0) return { boundary: [], warnings: [], freeParameters: names.length };
  // A limit of several parameters with their ratio kept leaves that ratio to estimate.
  const freeParameters = names.length - boundary.length + reached.filter((l) => l.parameters.length > 1).length;
  const warnings: string[] = [];
  for (const reducesTo of new Set(reached.map((l) => l.reducesTo))) {
    const parts = reached.filter((l) => l.reducesTo === reducesTo).map((l) => `${l.parameters.join(" and ")} → ${l.toward}${l.parameters.length > 1 ? " together" : ""}`);
    warnings.push(`${parts.join(", ")}: the data cannot tell the fit from this limit, where ${model.name} reduces to ${reducesTo}.`);
  }
  for (const name of heldNames.filter((n) => !reached.some((l) => l.parameters.includes(n)))) {
    warnings.push(`${name} runs off to ${Math.log(theta[names.indexOf(name)]!) < 0 ? "0" : "∞"}: the data do not identify it; the fit holds it at the bound.`);
  }
  if (reached.some((l) => l.noDropout)) {
    warnings.push("No dropout is seen, so P(alive) is close to 1 for every contact and says nothing about who has left; churn risk (the chance of no order in the coming days) still ranks contacts, from their purchase rates and the time since their last order.");
  }
  const reducesTo = [...new Set(reached.map((l) => l.reducesTo))].join("; ");
  return { boundary, ...(reducesTo && { reducesTo }), warnings, freeParameters };
}
