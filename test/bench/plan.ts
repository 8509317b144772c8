/**
 * `npm run bench -- plan`: the nightly plan at 1 and 10 million simulated contacts (issue #14). Each
 * of 16 scan segments folds its contacts as it "reads" them (simulated here, one at a time, never
 * kept), the folds are merged and the plan fitted on the merge, as startNightlyRun does on the table.
 * Prints time and peak memory; sizes from PLAN_CONTACTS (comma-separated) to try others.
 */
import { getHeapStatistics } from "node:v8";
import { HistoryFold } from "../../functions/domain/clv/history-fold.js";
import { calibrationEndDayOf } from "../../functions/domain/clv/model-run.js";
import { MS_PER_DAY, type ContactHistory } from "../../functions/domain/clv/order-history.js";
import { planOfFold } from "../../functions/domain/nightly/nightly-scoring.js";
import { betaSample, gammaSample, seededRandom } from "../support/simulate.js";

const SCAN_SEGMENTS = 16;
const HISTORY_DAYS = 730;
const AS_OF_DAY = 20_000;

/**
 * One contact of a two-year-old store drawn from BG/NBD with CDNOW's parameters in days (Fader, Hardie
 * & Lee 2005: r 0.243, α 4.414 weeks, a 0.793, b 2.426) and each purchase day's value from
 * Gamma-Gamma (p 6.25, q 3.74, γ 15.44), in cents: real purchase days, not only a summary.
 */
export function simulatedContact(random: () => number, id: number): ContactHistory {
  const T = Math.floor(random() * HISTORY_DAYS);
  const firstDay = AS_OF_DAY - T;
  const lambda = gammaSample(random, 0.243, 4.414 * 7);
  const p = betaSample(random, 0.793, 2.426);
  const nu = gammaSample(random, 3.74, 15.44);
  const value = () => Math.max(1, Math.round(gammaSample(random, 6.25, nu) * 100)) / 100;
  const purchaseDays = [firstDay];
  const dayRevenue = [value()];
  let t = 0;
  for (;;) {
    t += -Math.log(random()) / lambda;
    if (t > T) break;
    const day = firstDay + Math.floor(t);
    if (day !== purchaseDays.at(-1)) {
      purchaseDays.push(day);
      dayRevenue.push(value());
    } else dayRevenue[dayRevenue.length - 1] = Math.round((dayRevenue.at(-1)! + value()) * 100) / 100;
    if (random() < p) break;
  }
  const revenue = Math.round(dayRevenue.reduce((a, b) => a + b, 0) * 100) / 100;
  return {
    contactId: `c${id}`,
    orderCount: purchaseDays.length,
    revenue,
    firstOrderAt: firstDay * MS_PER_DAY + 36_000_000,
    lastOrderAt: purchaseDays.at(-1)! * MS_PER_DAY + 36_000_000,
    purchaseDays,
    dayRevenue,
  };
}

const mb = (bytes: number) => `${Math.round(bytes / 1_048_576).toLocaleString("en")} MB`;
const line = (label: string, value: string, note = "") => console.log(`  ${label.padEnd(56)} ${value.padStart(14)}  ${note}`);

export async function benchPlan(): Promise<void> {
  const sizes = (process.env.PLAN_CONTACTS ?? "1000000,10000000").split(",").map(Number);
  const asOf = AS_OF_DAY * MS_PER_DAY;
  // The second night on: the last plan's first purchase day gives the split, so the table is read once.
  const calibrationEndDay = calibrationEndDayOf(AS_OF_DAY - HISTORY_DAYS + 1, AS_OF_DAY);
  for (const contacts of sizes) {
    console.log(`\nThe nightly plan over ${contacts.toLocaleString("en")} simulated contacts, ${SCAN_SEGMENTS} scan segments folded and merged, then fitted`);
    let peakHeap = getHeapStatistics().used_heap_size;
    let peakRss = process.memoryUsage().rss;
    const sample = () => {
      peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    };
    const baseHeap = peakHeap;
    const start = performance.now();
    const folds: HistoryFold[] = [];
    for (let segment = 0; segment < SCAN_SEGMENTS; segment++) {
      const random = seededRandom(1_000 + segment);
      const fold = new HistoryFold(asOf, calibrationEndDay);
      for (let id = segment; id < contacts; id += SCAN_SEGMENTS) {
        fold.add(simulatedContact(random, id));
        if (id % 250_000 < SCAN_SEGMENTS) sample();
      }
      folds.push(fold);
      sample();
    }
    const folded = performance.now();
    const merged = folds[0]!;
    for (const fold of folds.slice(1)) merged.merge(fold);
    folds.length = 1;
    sample();
    const mergedAt = performance.now();
    const plan = planOfFold(merged, SCAN_SEGMENTS);
    sample();
    const done = performance.now();
    line("simulate and fold the 16 scan segments (the scan's stand-in)", `${((folded - start) / 1000).toFixed(1)} s`, `${Math.round(contacts / ((folded - start) / 1000)).toLocaleString("en")} contacts/s`);
    line("merge the folds", `${((mergedAt - folded) / 1000).toFixed(1)} s`);
    line("fit, select, RFM scale, store averages", `${((done - mergedAt) / 1000).toFixed(1)} s`, `model ${plan.run.purchaseModel?.model ?? "none"}, ${plan.run.reasons.join("; ")}`);
    line("plan in all", `${((done - start) / 1000).toFixed(1)} s`);
    line("distinct rows held (calibration, all data, spend, RFM values)", merged.distinctRows.toLocaleString("en"), `calibration ${merged.calibration.length.toLocaleString("en")}, all data ${merged.allData.length.toLocaleString("en")}, spend ${merged.spend.length.toLocaleString("en")}`);
    line("peak JS heap (above the process's own)", mb(peakHeap - baseHeap), `peak RSS ${mb(peakRss)}`);
  }
}
