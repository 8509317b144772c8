import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ContactScores } from "../../domain/clv/contact-scores.js";
import type { ModelRun } from "../../domain/clv/model-run.js";
import { rfmGroups } from "../../domain/clv/rfm.js";
import type { NightlySegmentSummary } from "../../domain/nightly/nightly-scoring.js";
import { runNightlyLocally } from "../local-nightly.js";
import { enrolTask } from "../../handlers/workflow-enrol.js";
import { segmentTemplates } from "../../domain/segments/segment-templates.js";
import { demoContacts } from "../import/demo-contacts.js";
import { OrderFold } from "../import/order-fold.js";
import { writeFirstLoad } from "../../adapters/dynamodb/first-load.js";
import { StoreTable } from "../../adapters/dynamodb/table.js";
import { importOrders, type ImportReport } from "../../adapters/csv/import-csv.js";
import { openLocalStore } from "../local-store.js";
import { modelRunText } from "./model-run-text.js";
import { repoPath } from "../repo-path.js";
import { formatAmount } from "../../domain/store/money.js";
import type { DemoWorkflowSetup } from "./demo-workflow.js";
import { readReportInput } from "../report/store-report.js";
import { saveMailbox } from "../local-mailbox.js";
import { rowErrorLines, writeScoresCsv } from "./score-command.js";

export const DEMO_ORDERS = repoPath("data/online-retail/orders.csv");
export const DEMO_CANCELLATIONS = repoPath("data/online-retail/cancellations.csv");
/** The demo store counts in pounds sterling, as Online Retail did. */
export const DEMO_CURRENCY = "GBP";
/** The day of the demo store's last order: the night we score it. */
export const DEMO_AS_OF = "2011-12-09";

const money = (n: number) => `£${Math.round(n).toLocaleString("en-GB")}`;
const count = (n: number) => n.toLocaleString("en-GB");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * `npm start`: loads the demo store (Online Retail) into DynamoDB — dynalite in this process — as a
 * store's platform would send it, scores every contact from the table, writes the scores back, and
 * tells the store's marketer what the figures say.
 */
export async function runDemo(outPath: string, log: (line: string) => void = console.log): Promise<readonly ContactScores[]> {
  const started = performance.now();
  const local = await openLocalStore();
  let demo: DemoWorkflowSetup | undefined;
  let demoReady: Promise<DemoWorkflowSetup> | undefined;
  try {
    log(`Demo store: Online Retail, a UK online gift shop (UCI Machine Learning Repository), scored as of ${DEMO_AS_OF}`);
    log(`Loading it into DynamoDB (dynalite in this process, ${local.endpoint}, table ${local.tableName}): every row checked as \`clv import orders\` checks it, then each contact written once with its whole order history`);
    // The rows are recorded in memory with the outcomes the store's import gives, then each contact's
    // PROFILE item is written whole (first-load.ts): a conditional write per order made this step most of the demo's time.
    const fold = new OrderFold();
    let step = performance.now();
    const orders = await importOrders(fold, DEMO_ORDERS, { progress: true, storeCurrency: DEMO_CURRENCY });
    logImport(log, "orders", orders, performance.now() - step);
    step = performance.now();
    const cancellations = await importOrders(fold, DEMO_CANCELLATIONS, { progress: true, storeCurrency: DEMO_CURRENCY });
    logImport(log, "cancellations", cancellations, performance.now() - step);

    step = performance.now();
    // The workflow's modules (aws-local-stepfunctions, the SES client, the e-mail templates) and the
    // report page's (its charts) are needed only after the night: loaded while the first load below
    // keeps the dynalite thread busy and leaves this one waiting, not before the demo starts.
    const workflowModule = import("./demo-workflow.js");
    const reportModule = import("./report-command.js");
    workflowModule.catch(() => undefined);
    reportModule.catch(() => undefined); // both awaited below; a failure is reported there
    // A profile for each customer with an order counted (one with credit notes only is no customer), as the nightly scan finds them.
    const folded = fold.contacts();
    const made = demoContacts(folded.filter((c) => [...c.counted.values()].some((e) => e.total >= 0)).map((c) => c.contactId));
    const profiles = new Map(made.map((c) => [c.contactId, c.contact]));
    await writeFirstLoad(
      new StoreTable(local.client, local.tableName),
      folded.map((c) => ({ ...c, ...(profiles.has(c.contactId) && { contact: profiles.get(c.contactId)! }) })),
    );
    const subscribed = made.filter((c) => c.contact.subscription === "subscribed").length;
    log(`  contacts: ${count(made.length)} made up from the customer ids (e-mail, first name; ${count(subscribed)} subscribed), written with their orders in ${seconds(performance.now() - step)}`);
    log("");

    step = performance.now();
    const asOf = Date.parse(`${DEMO_AS_OF}T00:00:00Z`);
    for (const definition of segmentTemplates) await local.store.putSegmentDefinition(definition);
    // The workflow's coupon set and local SES are made while the night runs: the night reads none of
    // their items, and its model fits leave the dynalite thread idle for the coupon codes' writes.
    const { demoWorkflow, funnelReport, setUpDemoWorkflow } = await workflowModule;
    demoReady = setUpDemoWorkflow(local, asOf);
    demoReady.catch(() => undefined); // awaited below, or in `finally` when the night fails first
    const night = await runNightlyLocally(local.store, asOf);
    demo = await demoReady;
    const { run } = (await local.store.getNightlyPlan(night.plan.runId))!;
    for (const line of modelRunText(run)) log(line);
    log(
      `  Nightly job: scored ${count(night.summary.contacts)} contacts from the table, wrote ${count(night.summary.scoresWritten)} scores, recomputed ${night.summary.segments.length} segments in ${seconds(performance.now() - step)}`,
    );
    step = performance.now();
    const again = await runNightlyLocally(local.store, asOf);
    log(`  The same night again: ${count(again.summary.scoresWritten)} scores written (only changed scores are), in ${seconds(performance.now() - step)}`);
    step = performance.now();
    // The night's last step, "Enrol segment members": the same handler, here on its own to time the workflow.
    await enrolTask({ workflows: demo.workflows, starter: demo.runner, enrolments: local.store, members: local.store, clock: () => asOf })({ source: "nightly" });
    const executions = await demo.runner.settled();
    const failed = executions.filter((e) => e.status === "failed");
    const funnel = await demo.funnel();
    const sentMail = await demo.mail.listMail();
    const workflowLines = funnelReport(funnel, sentMail.length, money);
    const mailbox = saveMailbox(sentMail, join(dirname(outPath), "mail"));
    const workflowTime = performance.now() - step;
    log("");
    // One scan of the table for the figures below, the scores file and the report page.
    const reportInput = await readReportInput(local.store, { storeName: "Online Retail", currency: DEMO_CURRENCY, workflowFunnels: async () => [funnel] });
    const scores = reportInput.scores;
    for (const line of storeReport(run, scores)) log(line);
    log("");
    for (const line of segmentReport(night.summary.segments)) log(line);
    log("");
    // How many the article's fixed £100 threshold finds: the model decides, so the line says what it found.
    const fixedThreshold = night.summary.segments.find((segment) => segment.id === "low-clv")?.analytics.size ?? 0;
    log(
      `The Low CLV workflow on the "${demoWorkflow.segmentId}" segment (Online Retail sells to wholesalers: ${fixedThreshold === 0 ? "nobody's predicted CLV is under £100, so the article's fixed threshold finds no one" : `the article's fixed £100 threshold finds only ${count(fixedThreshold)} of them`}): one execution per member of the state machine cdk synth emits, under aws-local-stepfunctions with the 7-day wait shortened, mail to the local SES; ${executions.length} members enrolled and their executions run in ${seconds(workflowTime)}`,
    );
    log(
      "  Simulated: the 7-day wait takes no time, and the purchases during it are made up: the members a hash of their id picks (about 1 in 4 mailed, 1 in 5 held out) each place one order of their average order value, sent to the store as its platform would. The enrolment, coupons, e-mails and outcomes are the workflow's own.",
    );
    for (const line of workflowLines) log(line);
    for (const f of failed.slice(0, 5)) log(`  failed: ${f.name}: ${f.error}`);
    mkdirSync(dirname(outPath), { recursive: true });
    writeScoresCsv(outPath, scores, DEMO_CURRENCY);
    const report = (await reportModule).writeReportPage(reportInput, join(dirname(outPath), "report.html"));
    log("");
    log(`Every contact's figures: ${outPath}`);
    log(`The report: ${report.path}`);
    log(`The mail the workflow sent (${sentMail.length}, kept from the local SES): ${mailbox.index}`);
    log(`Done in ${seconds(performance.now() - started)}.`);
    return scores;
  } finally {
    await (demo ?? (await demoReady?.catch(() => undefined)))?.stop();
    await local.close();
  }
}

function logImport(log: (line: string) => void, what: string, report: ImportReport, ms: number): void {
  log(
    `  ${what}: ${count(report.rows)} rows, ${count(report.imported - report.cancellations)} counted, ${count(report.cancellations)} cancellations netted (${formatAmount(report.credited ?? 0, DEMO_CURRENCY)} off their customers' revenue), ${count(report.rejected)} rejected, checked in ${seconds(ms)} (${count(Math.round((report.rows / ms) * 1000))} rows/s)`,
  );
  for (const line of rowErrorLines(report.errors, 5)) log(`    ${line}`);
}

/** What a marketer wants to read: churn bands, next year's revenue, the RFM groups. */
export function storeReport(run: ModelRun, scores: readonly ContactScores[]): string[] {
  const lines: string[] = [];
  if (run.purchaseModel) {
    const bands = { low: 0, medium: 0, high: 0 };
    let predictedRevenue = 0;
    let predictedOrders = 0;
    for (const s of scores) {
      if (s.churnBand) bands[s.churnBand]++;
      predictedRevenue += s.predictedClv12m ?? 0;
      predictedOrders += s.predictedOrders12m ?? 0;
    }
    const share = (n: number) => `${((100 * n) / scores.length).toFixed(0)} %`;
    lines.push("What the figures say");
    lines.push(`  Churn risk (no order in the next 90 days): ${count(bands.high)} contacts high (${share(bands.high)}), ${count(bands.medium)} medium, ${count(bands.low)} low`);
    lines.push(`  Predicted revenue in the next 12 months: ${money(predictedRevenue)} from ${count(Math.round(predictedOrders))} expected orders`);
  }
  lines.push("  RFM groups                  contacts   avg historic CLV   avg predicted CLV 12m");
  for (const group of rfmGroups) {
    const members = scores.filter((s) => s.rfmGroup === group);
    if (members.length === 0) continue;
    const avg = (f: (s: ContactScores) => number) => members.reduce((sum, s) => sum + f(s), 0) / members.length;
    const predicted = run.purchaseModel ? money(avg((s) => s.predictedClv12m ?? 0)) : "—";
    lines.push(`    ${group.padEnd(24)} ${String(members.length).padStart(8)}   ${money(avg((s) => s.historicClv)).padStart(16)}   ${predicted.padStart(21)}`);
  }
  return lines;
}

/** Each segment with its analytics, as a segment list shows them. */
export function segmentReport(segments: readonly NightlySegmentSummary[]): string[] {
  const lines = ["Segments                                   members   avg CLV 12m   predicted revenue   expected to return   top RFM groups"];
  for (const { name, analytics: a } of segments) {
    const top = Object.entries(a.rfmMix)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 3)
      .map(([group, n]) => `${group} ${n}`)
      .join(", ");
    lines.push(
      `  ${name.padEnd(38)} ${String(a.size).padStart(8)}   ${(a.averagePredictedClv12m === null ? "—" : money(a.averagePredictedClv12m)).padStart(11)}   ${money(a.predictedRevenue12m).padStart(17)}   ${(a.expectedReturningCustomers === null ? "—" : count(Math.round(a.expectedReturningCustomers))).padStart(18)}   ${top}`,
    );
  }
  return lines;
}
