import { fitModel, fitPurchaseModel } from "../../domain/clv/fit.js";
import { summaryRows } from "../../domain/clv/csv-rows.js";
import { purchaseTable } from "../../domain/clv/customer-summary.js";
import { gammaGamma, spendTable } from "../../domain/clv/gamma-gamma.js";
import { purchaseModels } from "../../domain/clv/model-run.js";
import type { ModelFit, PurchaseModelName } from "../../domain/clv/purchase-model.js";
import type { RowError } from "../../domain/input/row-errors.js";
import { CsvFileError, noRowsError, readRows } from "./read-rows.js";

/** A purchase model, or Gamma-Gamma for the spend. */
export type FittableModel = PurchaseModelName | "gamma-gamma";

/** Fits one model on a summary CSV (any one time unit); Gamma-Gamma uses the rows with frequency > 0. */
export async function fitSummaryFile(path: string, model: FittableModel, options: { strict?: boolean; delimiter?: string } = {}): Promise<{ fit: ModelFit; errors: RowError[] }> {
  const { rows: summaries, errors, columns } = await readRows(path, summaryRows(options.delimiter), options);
  if (summaries.length === 0) throw noRowsError(path, errors, "customers to fit on");
  if (model === "gamma-gamma") {
    if (!columns.includes("monetary_value")) throw new CsvFileError(path, `gamma-gamma needs a monetary_value column; the columns are ${columns.join(", ")}`);
    return { fit: fitModel(gammaGamma, spendTable(summaries)), errors };
  }
  if (model === "mbg-cnbd-k" && !columns.includes("litt")) {
    throw new CsvFileError(path, `mbg-cnbd-k needs a litt column (each customer's sum of the logs of the times between purchases, 0 without repeats) to choose its regularity k; the columns are ${columns.join(", ")}`);
  }
  return { fit: fitPurchaseModel(purchaseModels[model], purchaseTable(summaries)), errors };
}
