import { maximizeLikelihood, standardErrors } from "../numeric/optimizer.js";
import { contactCount, type SummaryTable } from "./customer-summary.js";
import { ModelFitError, paramsFromVector, type FitOptions, type ModelFit, type ModelParams } from "./purchase-model.js";

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
  const logLikelihood = (theta: Float64Array, gradient: Float64Array | null) => model.tableLogLikelihood(theta, table, gradient);
  const maximum = maximizeLikelihood(logLikelihood, {
    starts: [...model.starts, ...(options.starts ?? [])],
    analyticGradient: model.hasGradient,
    scale: customers,
    ...(options.maxIterations !== undefined && { maxIterations: options.maxIterations }),
    ...(options.gradientTolerance !== undefined && { gradientTolerance: options.gradientTolerance }),
  });
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
