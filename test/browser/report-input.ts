import { fileURLToPath } from "node:url";
import { scoreContacts } from "../../functions/domain/clv/contact-scores.js";
import { orderRows } from "../../functions/domain/clv/csv-rows.js";
import { defaultModelRunOptions, runModels, type ModelRunOptions } from "../../functions/domain/clv/model-run.js";
import { contactHistories, type ContactHistory } from "../../functions/domain/clv/order-history.js";
import { segmentAnalytics } from "../../functions/domain/segments/segment-analytics.js";
import { segmentContact, segmentMembers, storeAverages } from "../../functions/domain/segments/segment-membership.js";
import { segmentTemplates } from "../../functions/domain/segments/segment-templates.js";
import { readRows } from "../../functions/local/cli/read-rows.js";
import { demoContacts } from "../../functions/local/import/demo-contacts.js";
import type { ReportInput } from "../../functions/local/report/render-report.js";

/**
 * A report's input made by the code a night runs, without the table: the models fitted and chosen
 * (runModels), every contact scored, the template segments computed over made-up profiles (the
 * demo's), their analytics. No workflows: that side reports its funnels later.
 */
export function reportInputOf(histories: readonly ContactHistory[], asOf: number, options: { storeName?: string; currency?: string; run?: ModelRunOptions } = {}): ReportInput {
  const run = runModels(histories, asOf, options.run ?? defaultModelRunOptions);
  const scores = scoreContacts(histories, asOf, run);
  const scoresOf = new Map(scores.map((s) => [s.contactId, s]));
  const profiles = new Map(demoContacts(histories.map((h) => h.contactId)).map((c) => [c.contactId, c.contact]));
  const contacts = histories.map((h) => segmentContact(h.contactId, { profile: profiles.get(h.contactId)!, scores: scoresOf.get(h.contactId)!, history: h }));
  const context = { now: asOf, storeAverages: storeAverages(scores, asOf) };
  const segments = segmentTemplates.map((definition) => {
    const members = segmentMembers(definition, contacts, context);
    return { definition, analytics: segmentAnalytics(members.map((m) => m.scores!)) };
  });
  return {
    ...(options.storeName && { storeName: options.storeName }),
    ...(options.currency && { currency: options.currency }),
    generatedAt: new Date(asOf).toISOString(),
    run,
    histories,
    scores,
    segments,
    workflows: [],
  };
}

/** The demo store (Online Retail, data/online-retail), scored as of its last order day as `npm start` does. */
export async function onlineRetailReportInput(): Promise<ReportInput> {
  const asOf = Date.parse("2011-12-09T00:00:00Z");
  const { rows } = await readRows(fileURLToPath(new URL("../../data/online-retail/orders.csv", import.meta.url)), orderRows());
  return reportInputOf(contactHistories(rows, asOf), asOf, { storeName: "Online Retail (demo)", currency: "GBP" });
}
