import type { ModelRun } from "../../domain/clv/model-run.js";
import type { ModelFit } from "../../domain/clv/purchase-model.js";

const fixed = (n: number | undefined, digits = 3) => (n === undefined || Number.isNaN(n) ? "—" : n.toFixed(digits));
const percent = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "—" : `${n >= 0 ? "+" : ""}${(n * 100).toFixed(1)} %`);
const params = (p: Record<string, number>) => Object.entries(p).map(([k, v]) => `${k} = ${fixed(v, 4)}`).join(", ");

/** " — at a bound (a, b): NBD: no dropout seen" for a fit at a limit of its parameters; runs recorded before boundaries were reported have none. */
const atBound = (fit: Pick<ModelFit, "boundary" | "reducesTo"> | undefined) =>
  fit?.boundary?.length ? `  — at a bound (${fit.boundary.join(", ")}): ${fit.reducesTo ?? "parameters not identified"}` : "";

/** The model run as lines a store's engineer reads: eligibility, holdout comparison, chosen model. */
export function modelRunText(run: ModelRun): string[] {
  const lines = [`Model run as of ${run.asOf} (${run.contacts} contacts with orders, time unit: ${run.unit})`];
  lines.push(`  Eligible for predictions: ${run.eligibility.eligible ? "yes" : "no"}`);
  for (const check of run.eligibility.checks) lines.push(`    ${check.met ? "✓" : "✗"} ${check.message}`);
  if (run.holdout) {
    const h = run.holdout;
    lines.push(`  Holdout: fitted to ${h.calibrationEnd}, compared over the ${h.holdoutDays} days to ${h.holdoutEnd} (${h.contacts} contacts)`);
    for (const c of h.candidates) {
      lines.push(
        c.error
          ? `    ${c.model.padEnd(10)} not fitted: ${c.error}`
          : `    ${c.model.padEnd(10)} MSE/contact ${fixed(c.meanSquaredError)}  MAE/contact ${fixed(c.meanAbsoluteError)}  purchases predicted ${fixed(c.predictedPurchases, 0)} vs actual ${c.actualPurchases} (${percent(c.totalError)})  churn log loss ${fixed(c.churnLogLoss, 4)}  LL ${fixed(c.fit?.logLikelihood, 1)}${atBound(c.fit)}`,
      );
    }
    if (h.selection) lines.push(`    ${h.selection.reason}`);
  }
  if (run.purchaseModel) {
    const m = run.purchaseModel;
    lines.push(`  Chosen: ${m.model}, refitted on all data: ${params(m.params)}; log-likelihood ${fixed(m.logLikelihood, 2)}; ${m.iterations} iterations${atBound(m)}`);
    for (const warning of m.warnings ?? []) lines.push(`    Warning: ${warning}`);
  }
  if (run.calendar) lines.push(`  Calendar adjustment: ${run.calendar.applied ? "used" : "none"} — ${run.calendar.reason}`);
  if (run.spendModel) lines.push(`  Spend: gamma-gamma ${params(run.spendModel.params)} on ${run.spendModel.customers} repeat buyers`);
  if (run.spendModelError) lines.push(`  Spend model not fitted (${run.spendModelError}); predicted CLV uses each contact's average order value`);
  for (const reason of run.reasons) lines.push(`  No predictions: ${reason}`);
  const hint = asOfHint(run);
  if (hint) lines.push(hint);
  return lines;
}

/**
 * Orders that stop long before the as-of date (an old export, a demo data set scored as of today):
 * the store is ineligible only because of the date, so say which date to give.
 */
export function asOfHint(run: ModelRun): string | undefined {
  const recent = run.eligibility.checks.find((c) => c.rule === "recent-orders");
  if (!recent || recent.met || !Number.isFinite(recent.actual) || run.contacts === 0) return undefined;
  const lastOrderDay = new Date(Date.parse(`${run.asOf}T00:00:00Z`) - recent.actual * 86_400_000).toISOString().slice(0, 10);
  return `  Hint: the last order is from ${lastOrderDay}, ${recent.actual} days before ${run.asOf}; to score the store as it was then, give --as-of ${lastOrderDay}`;
}
