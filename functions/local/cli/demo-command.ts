import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { ContactScores } from "../../domain/clv/contact-scores.js";
import { rfmGroups } from "../../domain/clv/rfm.js";
import { modelRunText } from "./model-run-text.js";
import { rowErrorLines, scoreOrdersFile, writeScoresCsv } from "./score-command.js";

export const DEMO_ORDERS = fileURLToPath(new URL("../../../data/online-retail/orders.csv", import.meta.url));
/** The day of the demo store's last order: the night we score it. */
export const DEMO_AS_OF = "2011-12-09";

const money = (n: number) => `£${Math.round(n).toLocaleString("en-GB")}`;

/** `npm start`: scores the demo store and tells its marketer what the figures say. */
export async function runDemo(outPath: string, log: (line: string) => void = console.log): Promise<ContactScores[]> {
  const started = performance.now();
  const result = await scoreOrdersFile(DEMO_ORDERS, Date.parse(`${DEMO_AS_OF}T00:00:00Z`));
  const { run, scores } = result;
  log(`Demo store: Online Retail, a UK online gift shop (UCI Machine Learning Repository), scored as of ${DEMO_AS_OF}`);
  log(`  ${result.orders.toLocaleString("en-GB")} orders of ${scores.length.toLocaleString("en-GB")} contacts${result.errors.length ? `; ${result.errors.length} rows skipped:` : ""}`);
  for (const line of rowErrorLines(result.errors, 5)) log(`    ${line}`);
  log("");
  for (const line of modelRunText(run)) log(line);
  log("");
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
    log("What the figures say");
    log(`  Churn risk (no order in the next 90 days): ${bands.high} contacts high (${share(bands.high)}), ${bands.medium} medium, ${bands.low} low`);
    log(`  Predicted revenue in the next 12 months: ${money(predictedRevenue)} from ${Math.round(predictedOrders).toLocaleString("en-GB")} expected orders`);
  }
  log("  RFM groups                  contacts   avg historic CLV   avg predicted CLV 12m");
  for (const group of rfmGroups) {
    const members = scores.filter((s) => s.rfmGroup === group);
    if (members.length === 0) continue;
    const avg = (f: (s: ContactScores) => number) => members.reduce((sum, s) => sum + f(s), 0) / members.length;
    log(
      `    ${group.padEnd(24)} ${String(members.length).padStart(8)}   ${money(avg((s) => s.historicClv)).padStart(16)}   ${run.purchaseModel ? money(avg((s) => s.predictedClv12m ?? 0)).padStart(21) : "—".padStart(21)}`,
    );
  }
  mkdirSync(dirname(outPath), { recursive: true });
  writeScoresCsv(outPath, scores);
  log("");
  log(`Every contact's figures: ${outPath}`);
  log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  return scores;
}
