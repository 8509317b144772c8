import type { ContactScores } from "../../domain/clv/contact-scores.js";
import type { ModelRun } from "../../domain/clv/model-run.js";
import type { ContactHistory } from "../../domain/clv/order-history.js";
import { calibrationHoldoutPoints } from "../../domain/report/calibration-holdout.js";
import { cumulativeRepeatPurchases } from "../../domain/report/cumulative-purchases.js";
import { frequencyRecencyMatrix } from "../../domain/report/frequency-recency-matrix.js";
import { churnRiskHistogram, predictedClvHistogram } from "../../domain/report/histograms.js";
import { rfmGrid } from "../../domain/report/rfm-grid.js";
import type { WorkflowFunnel } from "../../domain/report/workflow-funnel.js";
import type { SegmentAnalytics } from "../../domain/segments/segment-analytics.js";
import type { SegmentDefinition } from "../../domain/segments/segment-definition.js";
import { escapeHtml as e, formatFigure, formatMoney, formatNumber, formatPercent } from "./html-text.js";
import {
  calibrationHoldoutChart,
  chartDocument,
  cumulativePurchasesChart,
  frequencyRecencyChart,
  histogramChart,
  rfmGridChart,
  workflowFunnelChart,
} from "./report-charts.js";

export interface ReportSegment {
  definition: Pick<SegmentDefinition, "id" | "name" | "description">;
  analytics: SegmentAnalytics;
}

/** Everything the store's report shows, as the store keeps it: the page computes its charts from these. */
export interface ReportInput {
  /** For the title; "Your store" when absent. */
  storeName?: string;
  /** ISO 4217 code of the order totals, when known (the demo's are GBP). */
  currency?: string;
  /** When the page was made, ISO time. */
  generatedAt: string;
  /** The latest model run; absent before the first night. */
  run?: ModelRun;
  /** Every contact with orders, as histories (the charts of the model's fit read them). */
  histories: readonly ContactHistory[];
  /** Every contact's figures from the latest scoring. */
  scores: readonly ContactScores[];
  segments: readonly ReportSegment[];
  workflows: readonly WorkflowFunnel[];
}

/** Charts drawn on the page, by their data-chart name: the browser test counts each one's marks. */
export const reportChartNames = [
  "calibration-holdout",
  "cumulative-repeat-purchases",
  "expected-purchases-matrix",
  "p-alive-matrix",
  "predicted-clv-histogram",
  "churn-risk-histogram",
  "rfm-grid",
] as const;

/**
 * The marks Plot draws one per datum (or per series, for lines) in a chart: what "the chart drew
 * something" means. Axes, rules and labels are left out.
 */
export const chartMarkSelector = ['[aria-label="line"] path', '[aria-label="dot"] circle', '[aria-label="cell"] rect', '[aria-label="rect"] rect', '[aria-label="bar"] rect'].join(", ");

/**
 * The store's report as one self-contained HTML page: the model run and how well it forecasts, who
 * is likely to buy, the distributions of the figures, the RFM grid, the segments and the workflows.
 * Charts are SVG drawn here, so the page has no script and loads nothing.
 */
export function renderReport(input: ReportInput): string {
  const document = chartDocument();
  const { run } = input;
  const sections = [
    summarySection(input),
    run ? modelRunSection(run) : emptyState("model-run", "No model run recorded yet: the nightly job (`clv nightly`) fits the models and records its run."),
    fitSection(input, document),
    likelihoodSection(input, document),
    distributionsSection(input, document),
    rfmSection(input, document),
    segmentsSection(input),
    workflowsSection(input, document),
  ];
  const title = `${input.storeName ?? "Your store"}: customer lifetime value report`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${e(title)}</h1>
<p class="meta">${run ? `Model run as of ${e(run.asOf)} · ` : ""}generated ${e(input.generatedAt.replace("T", " ").replace(/\.\d+Z$/, "Z"))}</p>
</header>
<main>
${sections.join("\n")}
</main>
<footer>
<p>Charts drawn with Observable Plot when the page was made; the page runs no script and loads nothing from the network.
Definitions: BG/NBD and its charts, Fader, Hardie &amp; Lee (2005) “Counting your customers the easy way”; MBG/NBD, Batislam, Denizel &amp; Filiztekin (2007);
Pareto/NBD, Schmittlein, Morrison &amp; Colombo (1987); Gamma-Gamma, Fader, Hardie &amp; Lee (2005) and Fader &amp; Hardie (2013).
The fit charts follow the Python library lifetimes (plot_calibration_purchases_vs_holdout_purchases, plot_cumulative_transactions, plot_frequency_recency_matrix, plot_probability_alive_matrix).</p>
</footer>
</body>
</html>
`;
}

function figure(name: string, title: string, caption: string, chart: string): string {
  return `<figure class="chart" data-chart="${e(name)}">
<figcaption><strong>${e(title)}</strong> ${caption}</figcaption>
${chart}
</figure>`;
}

function emptyState(name: string, message: string): string {
  return `<p class="empty" data-empty="${e(name)}">${e(message)}</p>`;
}

function summarySection({ run, scores, currency }: ReportInput): string {
  let predictedRevenue = 0;
  let predictedOrders = 0;
  let churnSum = 0;
  let churnCount = 0;
  let high = 0;
  for (const s of scores) {
    predictedRevenue += s.predictedClv12m ?? 0;
    predictedOrders += s.predictedOrders12m ?? 0;
    if (s.churnRisk !== null) {
      churnSum += s.churnRisk;
      churnCount++;
    }
    if (s.churnBand === "high") high++;
  }
  const predicted = Boolean(run?.purchaseModel);
  const tiles: [string, string][] = [
    ["Contacts with orders", formatNumber(scores.length)],
    ["Predicted revenue, next 12 months", predicted ? formatMoney(predictedRevenue, currency) : "—"],
    ["Expected orders, next 12 months", predicted ? formatNumber(predictedOrders) : "—"],
    ["Mean churn risk (no order in 90 days)", predicted && churnCount > 0 ? formatPercent(churnSum / churnCount) : "—"],
    ["Contacts at high churn risk", predicted ? formatNumber(high) : "—"],
    ["Purchase model", run?.purchaseModel ? e(run.purchaseModel.model) : "none"],
  ];
  return `<section class="tiles">${tiles.map(([label, value]) => `<div class="tile"><div class="value">${value}</div><div class="label">${e(label)}</div></div>`).join("")}</section>`;
}

function modelRunSection(run: ModelRun): string {
  const parts: string[] = [`<h2>The model run</h2>`, `<p>As of ${e(run.asOf)}: ${formatNumber(run.contacts)} contacts with orders, models fitted in ${e(run.unit)}.</p>`];
  parts.push(`<h3>Eligibility for predictions: ${run.eligibility.eligible ? "yes" : "no"}</h3>`);
  parts.push(
    `<ul class="checks">${run.eligibility.checks.map((c) => `<li class="${c.met ? "met" : "unmet"}"><span aria-hidden="true">${c.met ? "✓" : "✗"}</span> ${e(c.message)}</li>`).join("")}</ul>`,
  );
  if (run.reasons.length > 0) parts.push(`<div class="callout"><strong>No predictions:</strong><ul>${run.reasons.map((r) => `<li>${e(r)}</li>`).join("")}</ul></div>`);
  if (run.holdout) {
    const h = run.holdout;
    const chosen = run.purchaseModel?.model;
    parts.push(
      `<h3>Holdout comparison</h3><p>Each model was fitted on the orders to ${e(h.calibrationEnd)} and asked to forecast the ${formatNumber(h.holdoutDays)} days to ${e(h.holdoutEnd)} (${formatNumber(h.contacts)} contacts). The one with the smallest mean squared error per contact is chosen (a forecast of purchases is an expected count, and squared error is what rewards the expectation; absolute error would reward forecasting 0 for most contacts), unless simpler models are indistinguishable from it — their errors and churn log losses within 2 standard errors of the paired per-contact difference — and then the simplest of those is kept.</p>`,
    );
    const rows = h.candidates.map((c) =>
      c.error
        ? `<tr><td>${e(c.model)}</td><td colspan="7" class="error">not fitted: ${e(c.error)}</td></tr>`
        : `<tr${c.model === chosen ? ' class="chosen"' : ""}><td>${e(c.model)}${c.model === chosen ? " <span class=\"badge\">chosen</span>" : ""}${c.fit?.reducesTo ? `<br><small>at a bound (${e(c.fit.boundary.join(", "))}): ${e(c.fit.reducesTo)}</small>` : ""}</td><td>${formatNumber(c.meanSquaredError, 4)}</td><td>${formatNumber(c.meanAbsoluteError, 4)}</td><td>${formatNumber(c.predictedPurchases)}</td><td>${formatNumber(c.actualPurchases)}</td><td>${c.totalError === undefined || c.totalError === null ? "—" : `${c.totalError >= 0 ? "+" : ""}${formatPercent(c.totalError, 1)}`}</td><td>${formatNumber(c.churnLogLoss, 4)}</td><td>${formatFigure(c.fit?.logLikelihood, 7)}</td></tr>`,
    );
    parts.push(
      `<table><thead><tr><th>Model</th><th>Mean sq. error / contact</th><th>Mean abs. error / contact</th><th>Purchases predicted</th><th>Actual</th><th>Total error</th><th>Churn log loss</th><th>Log-likelihood (calibration)</th></tr></thead><tbody>${rows.join("")}</tbody></table>`,
    );
    if (h.selection) parts.push(`<p>${e(h.selection.reason)}</p>`);
  }
  if (run.purchaseModel) {
    const m = run.purchaseModel;
    parts.push(
      `<h3>Chosen model: ${e(m.model)}, refitted on all data</h3><p>${formatNumber(m.customers)} contacts, log-likelihood ${formatFigure(m.logLikelihood, 7)}, ${formatNumber(m.iterations)} iterations${m.converged ? "" : ", <strong>did not converge</strong>"}.</p>${paramsTable(m.params, m.standardErrors)}`,
    );
    if (m.boundary?.length) parts.push(boundaryCallout(m));
    if (run.calendar) parts.push(`<h3>Calendar adjustment: ${run.calendar.applied ? "used" : "none"}</h3><p>${e(run.calendar.reason)}.</p>`);
  }
  if (run.spendModel) {
    parts.push(
      `<h3>Spend model: Gamma-Gamma</h3><p>Fitted on ${formatNumber(run.spendModel.customers)} repeat buyers.</p>${paramsTable(run.spendModel.params, run.spendModel.standardErrors)}`,
    );
  } else if (run.spendModelError) {
    parts.push(`<h3>Spend model</h3><p class="callout">Not fitted (${e(run.spendModelError)}); predicted CLV uses each contact's average order value.</p>`);
  }
  return `<section id="model-run">${parts.join("\n")}</section>`;
}

/**
 * What a fit at a limit means for the figures a marketer reads. With no dropout seen, P(alive) is ~1
 * for everyone and tells nothing; churn risk — P(no order in the next 90 days) — still comes from
 * each contact's purchase rate and time since the last order, so it still ranks contacts.
 */
function boundaryCallout(m: NonNullable<ModelRun["purchaseModel"]>): string {
  const noDropout = m.warnings.some((w) => w.startsWith("No dropout"));
  const meaning = noDropout
    ? `<p>The data show no customers leaving for good (the history may be too short to see anyone leave), so the model is the ${e(m.reducesTo ?? "")} case. <strong>P(alive) is then close to 1 for every contact and is not informative</strong>: do not read it as loyalty. <strong>Churn risk is still informative</strong>: it is the chance of no order in the next 90 days from each contact's own purchase rate and the time since the last order, so it still separates regulars from lapsed contacts.</p>`
    : `<p>The model is the simpler ${e(m.reducesTo ?? "")} case; its figures are those of that model.</p>`;
  return `<div class="callout"><strong>The fit is at a bound (${e(m.boundary.join(", "))}).</strong>${meaning}<ul>${m.warnings.map((w) => `<li>${e(w)}</li>`).join("")}</ul></div>`;
}

function paramsTable(params: Record<string, number>, errors: Record<string, number> | undefined): string {
  const rows = Object.entries(params).map(([name, value]) => `<tr><td>${e(name)}</td><td>${formatFigure(value)}</td><td>${formatFigure(errors?.[name])}</td></tr>`);
  return `<table class="params"><thead><tr><th>Parameter</th><th>Value</th><th>Std. error</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function fitSection({ run, histories }: ReportInput, document: unknown): string {
  const calibration = run && calibrationHoldoutPoints(histories, run);
  const cumulative = run && cumulativeRepeatPurchases(histories, run);
  const none = "Needs a model run with a holdout comparison and a chosen model.";
  const calibrationFigure = calibration
    ? figure(
        "calibration-holdout",
        "Calibration vs holdout purchases.",
        `Contacts grouped by their repeat purchases up to ${e(calibration.calibrationEnd)}; for each group, the mean number of purchases they made in the ${formatNumber(calibration.holdoutDays)} days after, and what each model (fitted on the calibration period only) expected. Lines close to the black one forecast well.${calibration.beyond > 0 ? ` ${formatNumber(calibration.beyond)} contacts with more calibration purchases are not shown.` : ""}`,
        calibrationHoldoutChart(document, calibration),
      )
    : emptyState("calibration-holdout", none);
  const cumulativeFigure = cumulative
    ? figure(
        "cumulative-repeat-purchases",
        "Cumulative repeat purchases, actual vs expected.",
        `Day by day over the whole history. The expected line is the chosen model (${e(cumulative.model)}) fitted on the data to the calibration end (dashed line) and summed over every contact from its first order; after that line it is a forecast.`,
        cumulativePurchasesChart(document, cumulative),
      )
    : emptyState("cumulative-repeat-purchases", none);
  return `<section id="fit"><h2>How well the model forecasts</h2><div class="charts">${calibrationFigure}${cumulativeFigure}</div></section>`;
}

function likelihoodSection({ run, histories }: ReportInput, document: unknown): string {
  const matrix = run && frequencyRecencyMatrix(run, histories);
  if (!matrix) return `<section id="frequency-recency"><h2>Who is likely to buy</h2>${emptyState("frequency-recency", "Needs a chosen purchase model.")}</section>`;
  const unit = matrix.unit;
  const about = `for a contact who first ordered ${formatNumber(matrix.T, 0)} ${e(unit)} ago (the oldest), by repeat purchases and age at the last purchase, from the chosen model (${e(matrix.model)}).${matrix.beyond > 0 ? ` The columns stop at the 99th percentile of repeat purchases; ${formatNumber(matrix.beyond)} contacts have more.` : ""} Hover a cell for its value.`;
  return `<section id="frequency-recency"><h2>Who is likely to buy</h2><div class="charts">${figure(
    "expected-purchases-matrix",
    `Expected purchases in the next ${formatNumber(matrix.periodDays)} days,`,
    about,
    frequencyRecencyChart(document, matrix, "expectedPurchases"),
  )}${figure("p-alive-matrix", "Probability the contact is still a customer (P(alive)),", about, frequencyRecencyChart(document, matrix, "probabilityAlive"))}</div></section>`;
}

function distributionsSection({ run, scores, currency }: ReportInput, document: unknown): string {
  if (!run?.purchaseModel || scores.every((s) => s.predictedClv12m === null)) {
    return `<section id="distributions"><h2>Predicted CLV and churn risk</h2>${emptyState("distributions", "No predictions in the latest scoring.")}</section>`;
  }
  const clv = predictedClvHistogram(scores);
  const churn = churnRiskHistogram(scores);
  const money = (x: number) => formatMoney(x, currency);
  return `<section id="distributions"><h2>Predicted CLV and churn risk</h2><div class="charts">${figure(
    "predicted-clv-histogram",
    "Predicted CLV, next 12 months.",
    `Contacts by predicted revenue in the next 12 months.${clv.above > 0 ? ` The grey bar holds the top ${formatNumber(clv.above)} contacts (above the 99th percentile).` : ""}`,
    histogramChart(document, clv, { xLabel: "Predicted CLV (12 months)", format: money }),
  )}${figure(
    "churn-risk-histogram",
    "Churn risk.",
    "Contacts by the probability of no order in the next 90 days; the dashed lines are the band edges (low &lt; 0.33 ≤ medium ≤ 0.66 &lt; high).",
    histogramChart(document, churn, { xLabel: "Churn risk", format: (x) => formatNumber(x, 2), bands: { edges: [0.33, 0.66], labels: ["low", "medium", "high"] } }),
  )}</div></section>`;
}

function rfmSection({ scores }: ReportInput, document: unknown): string {
  if (scores.length === 0) return `<section id="rfm"><h2>RFM</h2>${emptyState("rfm-grid", "No scored contacts yet.")}</section>`;
  const grid = rfmGrid(scores);
  const rows = grid.groups
    .filter((g) => g.contacts > 0)
    .map((g) => `<tr><td>${e(g.group)}</td><td>${formatNumber(g.contacts)}</td><td>${formatPercent(g.contacts / grid.contacts, 1)}</td></tr>`);
  return `<section id="rfm"><h2>RFM</h2><div class="charts">${figure(
    "rfm-grid",
    "The RFM grid.",
    "Recency score (rows) against the mean of the frequency and monetary scores (columns), all 1–5 by quintile, 5 best; each cell is named by the group its contacts are in.",
    rfmGridChart(document, grid),
  )}<div><table><thead><tr><th>RFM group</th><th>Contacts</th><th>Share</th></tr></thead><tbody>${rows.join("")}</tbody></table></div></div></section>`;
}

function segmentsSection({ segments, currency }: ReportInput): string {
  if (segments.length === 0) return `<section id="segments"><h2>Segments</h2>${emptyState("segments", "No segments defined yet.")}</section>`;
  const rows = segments.map(({ definition: d, analytics: a }) => {
    const mix = Object.entries(a.rfmMix)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 3)
      .map(([group, n]) => `${e(group)} ${formatNumber(n)}`)
      .join(", ");
    return `<tr><td><strong>${e(d.name)}</strong>${d.description ? `<div class="description">${e(d.description)}</div>` : ""}</td><td>${formatNumber(a.size)}</td><td>${formatMoney(a.averageHistoricClv, currency)}</td><td>${formatMoney(a.averagePredictedClv12m, currency)}</td><td>${formatMoney(a.predictedRevenue12m, currency)}</td><td>${a.expectedReturningCustomers === null ? "—" : formatNumber(a.expectedReturningCustomers)}</td><td>${mix || "—"}</td></tr>`;
  });
  return `<section id="segments"><h2>Segments</h2><table><thead><tr><th>Segment</th><th>Members</th><th>Avg historic CLV</th><th>Avg predicted CLV 12m</th><th>Predicted revenue 12m</th><th>Expected to return (90 days)</th><th>Top RFM groups</th></tr></thead><tbody>${rows.join("")}</tbody></table></section>`;
}

function workflowsSection({ workflows, currency }: ReportInput, document: unknown): string {
  if (workflows.length === 0) {
    return `<section id="workflows"><h2>Reactivation workflows</h2>${emptyState("workflows", "No reactivation workflows have run yet. Once one enrols contacts, its funnel (enrolled → held out → coupon assigned → e-mail sent → purchased within the window → reminded) and its lift over the held-out contacts show here.")}</section>`;
  }
  const figures = workflows.map((w) =>
    figure(
      `workflow-${w.workflowId}`,
      `${w.name}.`,
      `${formatMoney(w.revenueInWindow, currency)} from mailed contacts' orders within ${e(w.window)} of the e-mail.${w.outOfStock > 0 ? ` ${formatNumber(w.outOfStock)} enrolled contacts got no coupon: the coupon set had run out.` : ""}`,
      workflowFunnelChart(document, w),
    ),
  );
  return `<section id="workflows"><h2>Reactivation workflows</h2><div class="charts">${figures.join("")}</div>${workflows.map((w) => liftTable(w, currency)).join("")}</section>`;
}

/** Mailed against held out within the window, and what the workflow added, with 95 % intervals. */
function liftTable(w: WorkflowFunnel, currency: string | undefined): string {
  const { lift } = w;
  const money = (x: number | null) => formatMoney(x, currency);
  // Per contact, amounts are small: pennies matter.
  const perContact = (x: number | null) =>
    x === null || !Number.isFinite(x) ? "—" : currency ? x.toLocaleString("en-GB", { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }) : formatNumber(x, 2);
  const signed = (x: number, format: (x: number) => string) => (x < 0 ? `−${format(-x)}` : `+${format(x)}`);
  const points = (x: number) => `${formatNumber(100 * x, 1)} pts`;
  const interval = (i: { estimate: number; low: number; high: number } | null, format: (x: number) => string) =>
    i ? `${signed(i.estimate, format)} <span class="ci">(95 % CI ${signed(i.low, format)} to ${signed(i.high, format)})</span>` : "— <span class=\"ci\">(not measurable yet)</span>";
  const group = (label: string, g: typeof lift.mailed) =>
    `<tr><td>${label}</td><td>${formatNumber(g.contacts)}</td><td>${formatNumber(g.converted)}</td><td>${formatPercent(g.conversionRate, 1)}</td><td>${perContact(g.revenuePerContact)}</td></tr>`;
  const whole = (x: number) => formatNumber(x, 1);
  return `<div class="lift" data-lift="${e(w.workflowId)}"><h3>${e(w.name)}: lift within ${e(w.window)}</h3>
<table><thead><tr><th>Group</th><th>Contacts (window ended)</th><th>Bought</th><th>Conversion</th><th>Revenue per contact</th></tr></thead><tbody>${group("Mailed", lift.mailed)}${group("Held out (control)", lift.heldOut)}</tbody></table>
<table><tbody><tr><th>Conversion, mailed − held out</th><td>${interval(lift.conversionDifference, points)}</td></tr><tr><th>Incremental buyers</th><td>${interval(lift.incrementalConversions, whole)}</td></tr><tr><th>Revenue per contact, mailed − held out</th><td>${interval(lift.revenuePerContactDifference, (x) => perContact(x))}</td></tr><tr><th>Incremental revenue</th><td>${interval(lift.incrementalRevenue, (x) => money(x))}</td></tr></tbody></table>
<p class="description">${e(lift.methods.conversion)}; ${e(lift.methods.revenue)}. Held-out contacts get no coupon and no e-mail; an interval that spans zero means the workflow's effect is not distinguishable from none yet.</p></div>`;
}

const STYLE = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --accent: #4269d0; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f8fa; }
header, main, footer { max-width: 1520px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 0 0 12px; }
h3 { font-size: 16px; margin: 20px 0 8px; }
.meta, .description, footer { color: var(--muted); }
.description { font-size: 13px; max-width: 520px; }
section { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 20px 24px; margin: 16px 0; }
section.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; background: none; border: 0; padding: 0; }
.tile { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.tile .value { font-size: 22px; font-weight: 600; }
.tile .label { color: var(--muted); font-size: 13px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 600px), 1fr)); gap: 24px; align-items: start; }
figure.chart { margin: 0; }
figcaption { font-size: 14px; margin-bottom: 8px; max-width: 720px; }
table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }
.ci { color: var(--muted); font-size: 13px; }
.lift { margin-top: 16px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
tr.chosen td { background: #eef3fc; }
.badge { background: var(--accent); color: white; border-radius: 4px; padding: 0 6px; font-size: 12px; }
.checks { list-style: none; padding: 0; }
.checks .met span { color: #1a7f37; }
.checks .unmet span { color: #cf222e; }
.callout { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 8px 12px; }
.error { color: #cf222e; }
.empty { color: var(--muted); font-style: italic; }
footer { font-size: 13px; padding-bottom: 32px; }
`;
