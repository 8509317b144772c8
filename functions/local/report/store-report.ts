import type { ContactScores } from "../../domain/clv/contact-scores.js";
import type { ModelRun } from "../../domain/clv/model-run.js";
import type { ContactHistory } from "../../domain/clv/order-history.js";
import type { ContactState, NightlySummary } from "../../domain/nightly/nightly-scoring.js";
import type { WorkflowFunnel } from "../../domain/report/workflow-funnel.js";
import { segmentAnalytics } from "../../domain/segments/segment-analytics.js";
import type { SegmentDefinition } from "../../domain/segments/segment-definition.js";
import type { Membership } from "../../domain/segments/segment-membership.js";
import type { ReportInput, ReportSegment } from "./render-report.js";

/** What the report reads of the store; DynamoDbStore has it all. */
export interface ReportStore {
  /** Every contact with its history and scores, one scan. */
  scanContactStates(segment?: number, totalSegments?: number): AsyncIterable<ContactState[]>;
  /** The night that completed last (by completion time), with its model run (modelRunKey in table-keys.ts). */
  latestCompletedPlan(): Promise<{ runId: string; run: ModelRun } | undefined>;
  /** That night's summary: the segment sizes it left. */
  latestNightlySummary(): Promise<NightlySummary | undefined>;
  listSegmentDefinitions(): Promise<SegmentDefinition[]>;
  activeSegmentMembers(segmentId: string): Promise<Map<string, Membership>>;
}

const REPORT_STORE_METHODS = ["scanContactStates", "latestCompletedPlan", "latestNightlySummary", "listSegmentDefinitions", "activeSegmentMembers"] as const;

/** Whether a store can feed the report (the local server's store is typed by the narrower HTTP port). */
export function isReportStore(store: object): store is ReportStore {
  return REPORT_STORE_METHODS.every((method) => typeof (store as Record<string, unknown>)[method] === "function");
}

export interface ReportOptions {
  /** For the page's title. */
  storeName?: string;
  /** ISO 4217 code of the order totals. */
  currency?: string;
  now?: () => number;
  /** The workflows' funnels, once the workflow side reports them; none without. */
  workflowFunnels?: () => Promise<readonly WorkflowFunnel[]>;
}

/**
 * Everything the page shows, read from the store: each contact's history and scores, the model run
 * of the night that completed last (so a night still scoring does not mix its run with the previous
 * night's scores), and every segment's size and analytics as that night left them.
 */
export async function readReportInput(store: ReportStore, options: ReportOptions = {}): Promise<ReportInput> {
  const histories: ContactHistory[] = [];
  const scores: ContactScores[] = [];
  for await (const page of store.scanContactStates()) {
    for (const contact of page) {
      if (contact.history) histories.push(contact.history);
      if (contact.scores) scores.push(contact.scores);
    }
  }
  const plan = await store.latestCompletedPlan();
  const run = plan?.run;
  // The segments as the run shown left them (what `clv nightly` printed); a segment the run did not
  // know (defined since) is counted from its members now.
  const summary = plan ? await store.latestNightlySummary() : undefined;
  const ofRun = new Map(summary && summary.runId === plan?.runId ? summary.segments.map((s) => [s.id, s.analytics]) : []);
  const scoresOf = new Map(scores.map((s) => [s.contactId, s]));
  const segments: ReportSegment[] = [];
  for (const definition of await store.listSegmentDefinitions()) {
    const analytics = ofRun.get(definition.id);
    if (analytics) {
      segments.push({ definition, analytics });
      continue;
    }
    const members = await store.activeSegmentMembers(definition.id);
    const scored = [...members.keys()].flatMap((id) => (scoresOf.has(id) ? [scoresOf.get(id)!] : []));
    // Members without orders have no scores; they still count in the segment's size.
    segments.push({ definition, analytics: { ...segmentAnalytics(scored), size: members.size } });
  }
  return {
    ...(options.storeName && { storeName: options.storeName }),
    ...(options.currency && { currency: options.currency }),
    generatedAt: new Date((options.now ?? Date.now)()).toISOString(),
    ...(run && { run }),
    histories,
    scores,
    segments,
    workflows: (await options.workflowFunnels?.()) ?? [],
  };
}
