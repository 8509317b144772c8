import { readFileSync } from "node:fs";
import type { CustomerSummary } from "../../functions/domain/clv/customer-summary.js";
import { contactHistories, dayNumber, MS_PER_DAY, summarize, type Order } from "../../functions/domain/clv/order-history.js";

/**
 * The CDNOW data of the "buy till you die" literature: Bruce Hardie's data sets page (Fader, Hardie &
 * Lee 2005), as redistributed in the MIT-licensed lifetimes repository (CamDavidsonPilon/lifetimes,
 * lifetimes/datasets/, commit 4f2833f4). Copied into test/fixtures/cdnow/.
 */
const fixture = (name: string) => readFileSync(new URL(`../fixtures/cdnow/${name}`, import.meta.url), "utf8");

/** cdnow_customers_summary_with_transactions.csv: the sample in weeks, calibration to 1997-09-30. */
export function cdnowSummaries(): (CustomerSummary & { id: string })[] {
  return fixture("cdnow_customers_summary_with_transactions.csv")
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => {
      const [id, x, tx, T, zbar] = line.split(",");
      return { id: id!, frequency: Number(x), recency: Number(tx), T: Number(T), monetaryValue: Number(zbar) };
    });
}

/** cdnow_customers_summary.csv: `ID,frequency,recency,T`. */
export function cdnowPublishedSummary(): Map<string, CustomerSummary> {
  const rows = fixture("cdnow_customers_summary.csv").trim().split(/\r?\n/).slice(1);
  return new Map(
    rows.map((line) => {
      const [id, x, tx, T] = line.split(",");
      return [id!, { frequency: Number(x), recency: Number(tx), T: Number(T) }];
    }),
  );
}

const dateOf = (yyyymmdd: string) => Date.UTC(Number(yyyymmdd.slice(0, 4)), Number(yyyymmdd.slice(4, 6)) - 1, Number(yyyymmdd.slice(6, 8)));

/** CDNOW_sample.txt as orders: `master_id sample_id yyyymmdd cds dollars`, keyed by sample id. */
export function cdnowSampleOrders(): Order[] {
  return fixture("CDNOW_sample.txt")
    .trim()
    .split(/\r?\n/)
    .map((line, i) => {
      const [, sampleId, date, , dollars] = line.trim().split(/\s+/);
      return { orderId: String(i + 1), contactId: String(Number(sampleId)), createdAt: dateOf(date!), total: Number(dollars) };
    });
}

/** CDNOW_master.txt as orders: the full cohort, `customer_id date number_of_cds dollar_value` with a header. */
export function cdnowMasterOrders(): Order[] {
  return fixture("CDNOW_master.txt")
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line, i) => {
      const [id, date, , dollars] = line.trim().split(/\s+/);
      return { orderId: String(i + 1), contactId: id!, createdAt: dateOf(date!), total: Number(dollars) };
    });
}

/**
 * The sample's calibration summaries (weeks, to 1997-09-30) built from CDNOW_sample.txt's purchase dates,
 * so each carries its sum of log weeks between purchases (litt), as BTYDplus's elog2cbs makes it.
 */
export function cdnowCalibrationSummaries(): CustomerSummary[] {
  const calibrationEnd = dayNumber(Date.UTC(1997, 8, 30));
  return contactHistories(cdnowSampleOrders(), calibrationEnd * MS_PER_DAY).map((h) => summarize(h, calibrationEnd, "weeks")!);
}
