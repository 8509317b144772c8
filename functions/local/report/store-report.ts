import type { ContactScores } from "../../domain/clv/contact-scores.js";
import type { ModelRun } from "../../domain/clv/model-run.js";
import type { ContactHistory } from "../../domain/clv/order-history.js";
import type { ContactState } from "../../domain/nightly/nightly-scoring.js";
import type { WorkflowFunnel } from "../../domain/report/workflow-funnel.js";
import { segmentAnalytics } from "../../domain/segments/segment-analytics.js";
import type { SegmentDefinition } from "../../domain/segments/segment-definition.js";
import type { Membership } from "../../domain/segments/segment-membership.js";
import type { ReportInput, ReportSegment } from "./render-report.js";

/** What the report reads of the store; DynamoDbStore has it all. */
export interface ReportStore {
  /** Every contact with its history and scores, one scan. */
  scanContactStates(segment?: number, totalSegments?: number): AsyncIterable<ContactState[]>;
  /** The newest night that completed, with its model run (modelRunKey in table-keys.ts). */
  latestCompletedPlan(): Promise<{ run: ModelRun } | undefined>;
  listSegmentDefinitions(): Promise<SegmentDefinition[]>;
  activeSegmentMembers(segmentId: string): Promise<Map<string, Membership>>;
}

const REPORT_STORE_METHODS = ["scanContactStates", "latestCompletedPlan", "listSegmentDefinitions", "activeSegmentMembers"] as const;

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
 * of the newest completed night (so a night still scoring does not mix its run with the previous
 * night's scores), and every segment's current members with their analytics.
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
  const run = (await store.latestCompletedPlan())?.run;
  const scoresOf = new Map(scores.map((s) => [s.contactId, s]));
  const segments: ReportSegment[] = [];
  for (const definition of await store.listSegmentDefinitions()) {
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
