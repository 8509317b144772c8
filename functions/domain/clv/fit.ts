import { maximizeLikelihood, standardErrors } from "../numeric/optimizer.js";
import { contactCount, thinnedTable, type SummaryTable } from "./customer-summary.js";
import { ModelFitError, paramsFromVector, type FitOptions, type ModelFit, type ModelParams } from "./purchase-model.js";

/** Above this many distinct rows, starting points are tried on a thinned table first. */
const LARGE_TABLE_ROWS = 40_000;

/** What maximum likelihood needs of a model: purchase models and Gamma-Gamma alike. */
export interface LikelihoodModel<P extends ModelParams> {
  readonly name: string;
  readonly parameterNames: readonly (keyof P & string)[];
  readonly starts: readonly (readonly number[])[];
  readonly hasGradient: boolean;
  tableLogLikelihood(theta: Float64Array, table: SummaryTable, gradient: Float64Array | null): number;
}

/**
 * Maximum-likelihood fit on weighted distinct summaries. Throws ModelFitError with the reason when
 * no start converges or the standard errors show the optimum is not identified: a fit is trusted or
 * it is an error, never a silent answer.
 */
export function fitModel<P extends ModelParams>(model: LikelihoodModel<P>, table: SummaryTable, options: FitOptions = {}): ModelFit<P> {
  const customers = contactCount(table);
  if (customers === 0) throw new ModelFitError(model.name, "no customers to fit on");
  const likelihoodOf = (t: SummaryTable) => (theta: Float64Array, gradient: Float64Array | null) => model.tableLogLikelihood(theta, t, gradient);
  const logLikelihood = likelihoodOf(table);
  const maximizeFrom = (starts: readonly (readonly number[])[], on: SummaryTable) =>
    maximizeLikelihood(likelihoodOf(on), {
      starts,
      analyticGradient: model.hasGradient,
      scale: contactCount(on),
      ...(options.maxIterations !== undefined && { maxIterations: options.maxIterations }),
      ...(options.gradientTolerance !== undefined && { gradientTolerance: options.gradientTolerance }),
    });
  const starts = [...model.starts, ...(options.starts ?? [])];
  let maximum: ReturnType<typeof maximizeLikelihood> | undefined;
  if (table.length > LARGE_TABLE_ROWS) {
    // Try every start on a thinned table, then polish the best one on all rows: a few full passes
    // instead of a few hundred. Should the polish not converge, every start runs on all rows.
    const rough = maximizeFrom(starts, thinnedTable(table, LARGE_TABLE_ROWS / 2));
    if (rough.converged) {
      const polished = maximizeFrom([rough.theta], table);
      if (polished.converged) maximum = polished;
    }
  }
  maximum ??= maximizeFrom(starts, table);
  if (!maximum.converged) {
    throw new ModelFitError(model.name, `did not converge from any of ${maximum.runs.length} starts (best: ${maximum.message}, log-likelihood ${maximum.logLikelihood.toFixed(2)})`);
  }
  const errors = standardErrors(logLikelihood, maximum.theta, model.hasGradient);
  return {
    model: model.name,
    params: paramsFromVector<P>(model.parameterNames, maximum.theta),
    logLikelihood: maximum.logLikelihood,
    customers,
    converged: true,
    iterations: maximum.iterations,
    standardErrors: paramsFromVector<P>(model.parameterNames, errors),
  };
}
