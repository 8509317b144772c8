/**
 * `npm run bench [cdnow|million|accuracy|cli|lifetimes|import|nightly|workflow]`: fit, scoring, import and nightly-job figures, printed, never asserted. Targets from issue #3 (one core):
 * fit 1M contacts ≤ 2 s; score ≥ 500,000 contacts/s; CDNOW sample fit ≥ 20× faster than plain scipy
 * Nelder-Mead on the same likelihood. Issue #4: import ≥ 5,000 orders/s into dynalite. Issue #5 (nightly.ts):
 * `npm start` ≤ 15 s, a night over 100,000 contacts ≤ 60 s, a changed contact rescored ≤ 50 ms. Issue #14
 * (plan.ts, `plan` only when named): the nightly plan's time and peak memory at 1 and 10 million contacts;
 * (export.ts, `export` only when named): a segment export of 1,000,000 members; (night-cost.ts, `cost`):
 * what a night costs on AWS at 1 and 10 million contacts, from the items the night's code writes.
 */
import "../../bin/quiet-sdk-warning.js";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { bgNbd } from "../../functions/domain/clv/bg-nbd.js";
import { contactScores, scoreColumns } from "../../functions/domain/clv/contact-scores.js";
import { purchaseTable, type CustomerSummary, type SummaryTable } from "../../functions/domain/clv/customer-summary.js";
import { fitModel, fitPurchaseModel } from "../../functions/domain/clv/fit.js";
import { fitGammaGamma, gammaGamma, spendTable } from "../../functions/domain/clv/gamma-gamma.js";
import { purchaseModels, runModels } from "../../functions/domain/clv/model-run.js";
import { MS_PER_DAY, type ContactHistory } from "../../functions/domain/clv/order-history.js";
import { purchaseModelNames } from "../../functions/domain/clv/purchase-model.js";
import { cdnowCalibrationSummaries, cdnowSummaries } from "../support/cdnow.js";
import { benchCli } from "./cli.js";
import { benchLifetimes } from "./lifetimes.js";
import { benchAccuracy } from "./accuracy.js";
import { benchImport } from "./import.js";
import { benchDemo, benchNightly } from "./nightly.js";
import { benchPlan } from "./plan.js";
import { benchEnrolment } from "./enrolment.js";
import { benchExport } from "./export.js";
import { benchNightCost } from "./night-cost.js";
import { simulateBgNbd } from "../support/simulate.js";

const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall time in ms of `runs` calls after one warm-up call. */
function time(runs: number, fn: () => unknown, warmUps = 1): number {
  for (let i = 0; i < warmUps; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const line = (label: string, value: string, target = "") => console.log(`  ${label.padEnd(52)} ${value.padStart(14)}  ${target}`);

console.log(`Benchmarks on ${process.version}, one thread. Median of repeated runs after a warm-up.`);

if (wanted("cdnow")) {
  console.log("\nFit on the CDNOW sample (2,357 customers, weeks)");
  const summaries = cdnowSummaries();
  // MBG/CNBD-k chooses k by Σ litt, which the summary CSV lacks: the same sample from its purchase dates.
  const table = { ...purchaseTable(summaries), logInterPurchaseTimes: purchaseTable(cdnowCalibrationSummaries()).logInterPurchaseTimes };
  const fitTimes: Record<string, number> = {};
  for (const name of purchaseModelNames) {
    // Steady state: what a long-running process (a warm Lambda, a server) sees after the JIT has compiled the loops.
    fitTimes[name] = time(20, () => fitPurchaseModel(purchaseModels[name], table), 5);
    line(name, ms(fitTimes[name]!));
  }
  line("gamma-gamma", ms(time(20, () => fitGammaGamma(summaries), 5)));
  const baseline = spawnSync("python3", [fileURLToPath(new URL("scipy-nelder-mead.py", import.meta.url)), fileURLToPath(new URL("../fixtures/cdnow/cdnow_customers_summary.csv", import.meta.url)), "5"], { encoding: "utf8" });
  if (baseline.status === 0) {
    const { seconds, ll, evaluations } = JSON.parse(baseline.stdout) as { seconds: number; ll: number; evaluations: number };
    line("scipy Nelder-Mead, BG/NBD, same likelihood", ms(seconds * 1000), `(LL ${ll.toFixed(2)}, ${evaluations} evaluations)`);
    line("speed-up of our BG/NBD fit over it", `${((seconds * 1000) / fitTimes["bg-nbd"]!).toFixed(1)}×`, "target ≥ 20×");
  } else {
    line("scipy Nelder-Mead baseline", "skipped", `(python3 with numpy and scipy not available: ${(baseline.stderr || String(baseline.error)).trim().split("\n").pop()})`);
  }
}

/** Two years of a store at daily resolution: first purchases spread evenly, BG/NBD parameters in days. */
function simulatedStore(count: number): { summaries: CustomerSummary[]; histories: ContactHistory[]; asOf: number } {
  const days = 730;
  const customers = simulateBgNbd({ r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 }, count, {
    seed: 7,
    T: (random) => random() * days,
    spend: { p: 6.25, q: 3.74, gamma: 15.44 },
    roundTo: 1,
  });
  const asOfDay = 20_000;
  const histories = customers.map(({ summary: s }, i): ContactHistory => {
    const firstDay = asOfDay - s.T;
    const purchaseDays = [firstDay];
    const dayRevenue = [s.monetaryValue! > 0 ? s.monetaryValue! : 30];
    // Repeat days spread up to the last purchase; only the summary matters to the models.
    for (let k = 1; k <= s.frequency; k++) {
      purchaseDays.push(firstDay + Math.round((s.recency * k) / s.frequency));
      dayRevenue.push(s.monetaryValue!);
    }
    const revenue = dayRevenue.reduce((a, b) => a + b, 0);
    return { contactId: `c${i}`, orderCount: purchaseDays.length, revenue, firstOrderAt: firstDay * MS_PER_DAY, lastOrderAt: purchaseDays.at(-1)! * MS_PER_DAY, purchaseDays, dayRevenue };
  });
  return { summaries: customers.map((c) => c.summary), histories, asOf: asOfDay * MS_PER_DAY };
}

if (wanted("million")) {
  const count = 1_000_000;
  console.log(`\nFit on ${count.toLocaleString("en")} simulated contacts (daily resolution, two years)`);
  let start = performance.now();
  const store = simulatedStore(count);
  line("simulate", ms(performance.now() - start));
  start = performance.now();
  const table: SummaryTable = purchaseTable(store.summaries);
  line(`fold into distinct summaries (${table.length.toLocaleString("en")} rows)`, ms(performance.now() - start));
  for (const name of purchaseModelNames) {
    const runs = name === "pareto-nbd" ? 1 : 3;
    // CPU time too: on a shared, loaded machine the wall time says more about the neighbours than the fit.
    const cpu = process.cpuUsage();
    const wall = time(runs, () => fitPurchaseModel(purchaseModels[name], table));
    const cpuPerFit = process.cpuUsage(cpu).user / 1000 / (runs + 1);
    line(`${name} fit`, ms(wall), `target ≤ 2,000 ms (CPU ${cpuPerFit.toFixed(0)} ms a fit, mean of ${runs + 1})`);
  }
  const spend = spendTable(store.summaries);
  line(`gamma-gamma fit (${spend.length.toLocaleString("en")} distinct repeat buyers)`, ms(time(3, () => fitModel(gammaGamma, spend))));

  console.log(`\nScoring ${count.toLocaleString("en")} contacts, every figure (BG/NBD + Gamma-Gamma, RFM included)`);
  const run = runModels(store.histories.slice(0, 1), store.asOf);
  run.purchaseModel = { ...fitModel(bgNbd, table), model: "bg-nbd" };
  run.spendModel = fitGammaGamma(store.summaries);
  run.reasons = [];
  // A scorer that runs again (a night's pages, the next night in a warm process) writes over its last
  // call's columns; new columns each call add ~90 MB a call, and a full collection of the heap with it.
  let columns = scoreColumns(store.histories, store.asOf, run);
  const scoreMs = time(3, () => (columns = scoreColumns(store.histories, store.asOf, run, undefined, undefined, columns)));
  line("scoreColumns: every figure into the last call's columns", ms(scoreMs));
  line("throughput", `${Math.round((count / scoreMs) * 1000).toLocaleString("en")}/s`, "target ≥ 500,000 contacts/s");
  const freshMs = time(3, () => scoreColumns(store.histories, store.asOf, run));
  line("scoreColumns into new columns each call", ms(freshMs), `${Math.round((count / freshMs) * 1000).toLocaleString("en")}/s`);
  const objectsMs = time(3, () => {
    for (let i = 0; i < columns.length; i++) contactScores(columns, i);
  });
  line("contactScores: all rows as objects with ISO dates", ms(objectsMs), "(output formatting; the nightly job formats only changed scores)");
  line("throughput, scoring and formatting every contact", `${Math.round((count / (scoreMs + objectsMs)) * 1000).toLocaleString("en")}/s`);
}

if (wanted("cli")) benchCli();
else if (only.includes("lifetimes")) benchLifetimes();
if (wanted("accuracy")) benchAccuracy();
if (wanted("import")) await benchImport();
// Minutes at 10 million contacts: only when asked for.
if (only.includes("plan")) await benchPlan();
if (only.includes("enrolment")) await benchEnrolment();
if (only.includes("export")) await benchExport();
if (only.includes("cost")) await benchNightCost();
if (wanted("nightly")) await benchNightly();
// The demo store's Low CLV workflow end to end (issue #6): the demo's own figures, without the 100,000-contact night.
else if (only.includes("workflow")) await benchDemo();
