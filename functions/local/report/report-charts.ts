import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import type { CalibrationHoldoutChart } from "../../domain/report/calibration-holdout.js";
import type { CumulativeRepeatPurchases } from "../../domain/report/cumulative-purchases.js";
import type { FrequencyRecencyMatrix } from "../../domain/report/frequency-recency-matrix.js";
import type { Histogram } from "../../domain/report/histograms.js";
import type { RfmGrid } from "../../domain/report/rfm-grid.js";
import { funnelSteps, type WorkflowFunnel } from "../../domain/report/workflow-funnel.js";
import { formatNumber, formatPercent } from "./html-text.js";

/*
 * Charts drawn with Observable Plot on the server: Plot renders into the `document` it is given,
 * here linkedom's, and the SVG it makes is pasted into the page, which then needs no script and no
 * network. What needs a canvas (continuous colour legends, raster marks) is avoided: heatmaps use a
 * quantized colour scale, whose legend Plot draws with rects.
 */

/** Plot's chart, as markup. */
type Chart = { outerHTML: string };

const WIDTH = 720;
const INK = "#1f2328";
const CHOSEN = "#4269d0";
const OTHER_MODELS = ["#9aa4b2", "#c2c8d0"];

/** A document for Plot to draw into; one per page is enough. */
export function chartDocument(): unknown {
  return parseHTML("<!doctype html><html><head></head><body></body></html>").document;
}

function draw(document: unknown, options: Record<string, unknown>): string {
  return (Plot.plot({ width: WIDTH, style: { fontSize: "12px" }, ...options, document } as Plot.PlotOptions) as unknown as Chart).outerHTML;
}

/** Actual vs expected mean holdout purchases by calibration purchases: every candidate, the chosen one emphasized. */
export function calibrationHoldoutChart(document: unknown, chart: CalibrationHoldoutChart): string {
  const series = ["Actual", ...chart.models.map((m) => (m === chart.chosen ? `${m} (chosen)` : m))];
  const rows = chart.points.flatMap((p) => [
    { x: p.calibrationPurchases, series: "Actual", value: p.actual, contacts: p.contacts, chosen: true },
    ...chart.models.map((m) => ({ x: p.calibrationPurchases, series: m === chart.chosen ? `${m} (chosen)` : m, value: p.expected[m] ?? Number.NaN, contacts: p.contacts, chosen: m === chart.chosen })),
  ]);
  const main = rows.filter((r) => r.chosen);
  const title = (r: (typeof rows)[number]) => `${r.series}: ${formatNumber(r.value, 3)} purchases per contact in the holdout\n${formatNumber(r.x)} calibration purchases, ${formatNumber(r.contacts)} contacts`;
  return draw(document, {
    height: 360,
    marginLeft: 50,
    x: { label: "Repeat purchases in the calibration period", ticks: chart.points.map((p) => p.calibrationPurchases), tickFormat: "d" },
    y: { label: "Mean purchases in the holdout period", grid: true, zero: true },
    color: { legend: true, domain: series, range: [INK, ...chart.models.map((m, i) => (m === chart.chosen ? CHOSEN : OTHER_MODELS[i % OTHER_MODELS.length]!))] },
    marks: [
      Plot.line(
        rows.filter((r) => !r.chosen),
        { x: "x", y: "value", stroke: "series", strokeDasharray: "4,3", strokeWidth: 1.5 },
      ),
      Plot.line(main, { x: "x", y: "value", stroke: "series", strokeWidth: 2.5 }),
      Plot.dot(main, { x: "x", y: "value", stroke: "series", fill: "series", r: 3.5, title }),
    ],
  });
}

/** Cumulative repeat purchases, actual vs expected, with the calibration end marked. */
export function cumulativePurchasesChart(document: unknown, chart: CumulativeRepeatPurchases): string {
  const rows = chart.days.flatMap((d) => [
    { date: new Date(`${d.date}T00:00:00Z`), series: "Actual", value: d.actual },
    { date: new Date(`${d.date}T00:00:00Z`), series: `Expected (${chart.model})`, value: d.expected },
  ]);
  const end = new Date(`${chart.calibrationEnd}T00:00:00Z`);
  return draw(document, {
    height: 360,
    marginLeft: 60,
    x: { label: null, type: "utc" },
    y: { label: "Cumulative repeat purchases", grid: true },
    color: { legend: true, domain: ["Actual", `Expected (${chart.model})`], range: [INK, CHOSEN] },
    marks: [
      Plot.ruleX([end], { stroke: "#888", strokeDasharray: "2,3" }),
      Plot.text([end], { x: (d: Date) => d, frameAnchor: "top", dx: -4, textAnchor: "end", text: () => "calibration end", fill: "#555" }),
      Plot.line(rows, { x: "date", y: "value", stroke: "series", strokeWidth: 2 }),
    ],
  });
}

/** One of the two frequency/recency heatmaps: expected purchases in the next period, or P(alive). */
export function frequencyRecencyChart(document: unknown, matrix: FrequencyRecencyMatrix, figure: "expectedPurchases" | "probabilityAlive"): string {
  const unit = matrix.unit === "weeks" ? "weeks" : "days";
  const label = figure === "expectedPurchases" ? `Expected purchases in the next ${matrix.periodDays} days` : "P(alive)";
  const recencyTicks = matrix.recencies.filter((_, i) => i % Math.ceil(matrix.recencies.length / 10) === 0);
  const frequencyTicks = matrix.frequencies.filter((_, i) => i % Math.ceil(matrix.frequencies.length / 16) === 0);
  return draw(document, {
    height: 420,
    marginLeft: 60,
    padding: 0,
    x: { type: "band", label: "Repeat purchases (frequency)", ticks: frequencyTicks },
    y: { type: "band", label: `Age at last purchase (recency, ${unit})`, ticks: recencyTicks, tickFormat: (r: number) => formatNumber(r) },
    color: {
      type: "quantize",
      n: 9,
      scheme: figure === "expectedPurchases" ? "blues" : "greens",
      ...(figure === "probabilityAlive" && { domain: [0, 1] }),
      legend: true,
      label,
    },
    marks: [
      Plot.cell(matrix.cells, {
        x: "frequency",
        y: "recency",
        fill: figure,
        title: (c: FrequencyRecencyMatrix["cells"][number]) =>
          `frequency ${c.frequency}, recency ${formatNumber(c.recency, 1)} ${unit}\n${label}: ${formatNumber(c[figure], 3)}`,
      }),
    ],
  });
}

/** A histogram of contacts, with the open-ended tail (if any) as a grey bar at the right. */
export function histogramChart(
  document: unknown,
  histogram: Histogram,
  options: { xLabel: string; format: (x: number) => string; bands?: { edges: number[]; labels: string[] } },
): string {
  const last = histogram.bins[histogram.bins.length - 1]!;
  const width = last.x1 - last.x0;
  const bars = histogram.bins.map((b) => ({ ...b, kind: "contacts", label: `${options.format(b.x0)} – ${options.format(b.x1)}: ${formatNumber(b.count)} contacts` }));
  if (histogram.above > 0) bars.push({ x0: last.x1, x1: last.x1 + width, count: histogram.above, kind: "above", label: `${options.format(last.x1)} and above: ${formatNumber(histogram.above)} contacts` });
  const bandMarks = options.bands
    ? [
        Plot.ruleX(options.bands.edges, { stroke: "#c0392b", strokeDasharray: "3,3" }),
        Plot.text(
          options.bands.labels.map((text, i) => ({ text, x: ((options.bands!.edges[i - 1] ?? 0) + (options.bands!.edges[i] ?? 1)) / 2 })),
          // Above the frame, where no bar reaches.
          { x: "x", text: "text", frameAnchor: "top", dy: -10, fill: "#555" },
        ),
      ]
    : [];
  return draw(document, {
    height: 300,
    marginLeft: 60,
    marginTop: 36,
    x: { label: options.xLabel, tickFormat: options.format },
    y: { label: "Contacts", grid: true },
    color: { domain: ["contacts", "above"], range: [CHOSEN, "#9aa4b2"] },
    marks: [Plot.rectY(bars, { x1: "x0", x2: "x1", y: "count", fill: "kind", insetLeft: 0.5, insetRight: 0.5, title: "label" }), Plot.ruleY([0]), ...bandMarks],
  });
}

/** The 5 × 5 RFM grid: contacts per cell as colour, each cell labelled with its group and count. */
export function rfmGridChart(document: unknown, grid: RfmGrid): string {
  const most = Math.max(1, ...grid.cells.map((c) => c.contacts));
  return draw(document, {
    height: 420,
    marginLeft: 60,
    padding: 0.04,
    x: { type: "band", domain: [1, 2, 3, 4, 5], label: "Frequency-monetary score (mean of F and M, rounded) →", axis: "top" },
    y: { type: "band", domain: [5, 4, 3, 2, 1], label: "Recency score" },
    color: { type: "quantize", n: 7, scheme: "blues", domain: [0, most], legend: true, label: "Contacts" },
    marks: [
      Plot.cell(grid.cells, { x: "frequencyMonetary", y: "recency", fill: "contacts", title: (c: RfmGrid["cells"][number]) => `${c.group}: ${formatNumber(c.contacts)} contacts` }),
      Plot.text(grid.cells, {
        x: "frequencyMonetary",
        y: "recency",
        text: (c: RfmGrid["cells"][number]) => `${c.group}\n${formatNumber(c.contacts)}`,
        // Light text on the darker half of the scale.
        fill: (c: RfmGrid["cells"][number]) => (c.contacts > most / 2 ? "white" : INK),
        lineWidth: 9,
      }),
    ],
  });
}

/** A workflow's funnel as horizontal bars, each labelled with its count and share of the enrolled. */
export function workflowFunnelChart(document: unknown, funnel: WorkflowFunnel): string {
  const steps = funnelSteps(funnel);
  return draw(document, {
    height: 40 + steps.length * 36,
    marginLeft: 170,
    marginRight: 120,
    x: { label: "Contacts", grid: true },
    y: { domain: steps.map((s) => s.label), label: null },
    marks: [
      Plot.barX(steps, { x: "contacts", y: "label", fill: CHOSEN, title: (s: (typeof steps)[number]) => `${s.label}: ${formatNumber(s.contacts)}` }),
      Plot.text(steps, {
        x: "contacts",
        y: "label",
        text: (s: (typeof steps)[number]) => `${formatNumber(s.contacts)} (${formatPercent(s.shareOfEnrolled)})`,
        textAnchor: "start",
        dx: 4,
      }),
      Plot.ruleX([0]),
    ],
  });
}
