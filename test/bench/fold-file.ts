/**
 * `node --import tsx test/bench/fold-file.ts summaries|orders FILE [AS-OF]`: reads a file as `clv fit` and
 * `clv score` do — checked, every row validated, folded into the summary table or the contacts'
 * histories — and prints one JSON line: rows, CPU seconds (user + system) and wall seconds of the
 * read alone, and the process's RSS before it and at its peak. A child process of the cli bench, so
 * the peak is the read's and not the bench's.
 */
import { orderFoldRows, summaryFoldRows } from "../../functions/domain/clv/csv-rows.js";
import { SummaryFold } from "../../functions/domain/clv/customer-summary.js";
import { OrderFold } from "../../functions/domain/clv/order-history.js";
import { foldRows } from "../../functions/local/cli/read-rows.js";

const [kind, path, asOf] = process.argv.slice(2);
if ((kind !== "summaries" && kind !== "orders") || !path) throw new Error("usage: fold-file.ts summaries|orders FILE [AS-OF]");
const rssBeforeMb = process.memoryUsage.rss() / 2 ** 20;
const cpu = process.cpuUsage();
const start = performance.now();
let folded: number;
let read: Awaited<ReturnType<typeof foldRows>>;
if (kind === "summaries") {
  const fold = new SummaryFold({ ignoreMonetaryValue: true });
  read = await foldRows(path, summaryFoldRows(fold));
  folded = fold.table().length;
} else {
  const fold = new OrderFold(asOf ? Date.parse(asOf) : Number.POSITIVE_INFINITY);
  // In the store's currency, as `clv score` reads it (its default, EUR: the file's column).
  read = await foldRows(path, orderFoldRows(fold, ",", { code: "EUR" }));
  folded = fold.histories().length;
}
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify({
    rows: read.rows,
    errors: read.errors.length,
    folded,
    cpuSeconds: (used.user + used.system) / 1e6,
    wallSeconds: (performance.now() - start) / 1000,
    rssBeforeMb,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
