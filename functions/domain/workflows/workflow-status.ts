import type { WorkflowFunnel } from "../report/workflow-funnel.js";
import { FunnelTally, type Enrolment } from "./enrolment.js";
import type { WorkflowDefinition } from "./workflow-definition.js";

/** A workflow, its funnel and lift, and how its enrolments ended ("running" for those still going). */
export interface WorkflowStatus {
  workflow: WorkflowDefinition;
  funnel: WorkflowFunnel;
  outcomes: Record<string, number>;
}

/**
 * What `clv workflows status`, the report and GET /workflows/{id} say about a workflow, from its
 * enrolment records read once, page by page, and tallied as they come: only one page is held at a
 * time, however many contacts the workflow enrolled.
 */
export async function workflowStatusOf(workflow: WorkflowDefinition, pages: AsyncIterable<readonly Enrolment[]>): Promise<WorkflowStatus> {
  const funnel = new FunnelTally(workflow);
  const outcomes: Record<string, number> = {};
  for await (const page of pages)
    for (const e of page) {
      funnel.add(e);
      const outcome = e.outcome ?? "running";
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  return { workflow, funnel: funnel.result(), outcomes };
}
