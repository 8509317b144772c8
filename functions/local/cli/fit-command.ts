import { fitModel, fitPurchaseModel } from "../../domain/clv/fit.js";
import { summaryFoldRows, summaryRows } from "../../domain/clv/csv-rows.js";
import { SummaryFold } from "../../domain/clv/customer-summary.js";
import { gammaGamma } from "../../domain/clv/gamma-gamma.js";
import { purchaseModels } from "../../domain/clv/model-run.js";
import type { ModelFit, PurchaseModelName } from "../../domain/clv/purchase-model.js";
import type { RowError } from "../../domain/input/row-errors.js";
import { fitParetoGgg, type ParetoGggFit } from "../../domain/clv/pareto-ggg.js";
import { CsvFileError, foldRows, noRowsError, readRows } from "./read-rows.js";

/** A purchase model, Gamma-Gamma for the spend, or Pareto/GGG (by MCMC: fitParetoGggFile). */
export type FittableModel = PurchaseModelName | "gamma-gamma" | "pareto-ggg";

/**
 * Pareto/GGG on a summary CSV with a litt column: each contact's own sum of log times between purchases
 * is what its regularity is read from, so the rows are kept (not folded), and a file without the column
 * is refused naming it. Seeded: the same file gives the same draws.
 */
export async function fitParetoGggFile(path: string, options: { strict?: boolean; delimiter?: string } = {}): Promise<{ fit: ParetoGggFit; errors: RowError[] }> {
  const { rows, errors, columns } = await readRows(path, summaryRows(options.delimiter), options);
  if (!columns.includes("litt")) {
    throw new CsvFileError(path, `pareto-ggg needs a litt column (each customer's sum of the logs of the times between purchases, 0 without repeats) to read each one's regularity from; the columns are ${columns.join(", ")}`);
  }
  if (rows.length === 0) throw noRowsError(path, errors, "customers to fit on");
  return { fit: fitParetoGgg(rows), errors };
}

/**
 * Fits one model on a summary CSV (any one time unit); Gamma-Gamma uses the rows with frequency > 0.
 * The rows are folded into the model's table as they are read, without an object per row: the table
 * purchaseTable would make of them, or for Gamma-Gamma its repeat buyers on (frequency, monetary value).
 */
export async function fitSummaryFile(path: string, model: Exclude<FittableModel, "pareto-ggg">, options: { strict?: boolean; delimiter?: string } = {}): Promise<{ fit: ModelFit; errors: RowError[] }> {
  const spend = model === "gamma-gamma";
  const fold = new SummaryFold(spend ? { spendOnly: true } : { ignoreMonetaryValue: true });
  const { rows, errors, columns } = await foldRows(path, summaryFoldRows(fold, { spend, ...(options.delimiter && { delimiter: options.delimiter }) }), options);
  if (rows === 0) throw noRowsError(path, errors, "customers to fit on");
  if (spend) {
    if (!columns.includes("monetary_value")) throw new CsvFileError(path, `gamma-gamma needs a monetary_value column; the columns are ${columns.join(", ")}`);
    return { fit: fitModel(gammaGamma, fold.table()), errors };
  }
  if (model === "mbg-cnbd-k" && !columns.includes("litt")) {
    throw new CsvFileError(path, `mbg-cnbd-k needs a litt column (each customer's sum of the logs of the times between purchases, 0 without repeats) to choose its regularity k; the columns are ${columns.join(", ")}`);
  }
  return { fit: fitPurchaseModel(purchaseModels[model], fold.table()), errors };
}
