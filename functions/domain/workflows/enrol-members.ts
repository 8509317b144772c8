import { enrolContacts, type EnrolmentStore, type WorkflowStarter } from "./workflow-steps.js";
import type { WorkflowDefinition } from "./workflow-definition.js";

export interface EnrolDependencies {
  workflows: readonly WorkflowDefinition[];
  enrolments: EnrolmentStore;
  starter: WorkflowStarter;
  members: { activeSegmentMemberPage(segmentId: string, after: string | undefined, limit: number): Promise<{ contactIds: string[]; next?: string }> };
}

/** Where the night's enrolment stopped: the workflow (index among the "all members" ones) and the last member read. */
export interface EnrolCursor {
  workflow: number;
  after?: string;
}

/** Members read per page of the segment (one Query). */
export const MEMBER_PAGE = 1_000;

export interface WorkflowEnrolment {
  workflowId: string;
  enrolled: number;
  skipped: number;
}

/**
 * After the night: every current member of each "all members" workflow's segment not yet enrolled,
 * page by page from `cursor`, until `maxMembers` have been read. The answer's cursor says where the
 * next invocation goes on (none when every workflow is done): at a million members the night's
 * enrolment is spread over invocations, each well inside Lambda's 15 minutes at the start quota.
 */
export async function enrolSegmentMembers(
  deps: EnrolDependencies,
  now: number,
  options: { cursor?: EnrolCursor; maxMembers?: number } = {},
): Promise<{ enrolments: WorkflowEnrolment[]; cursor?: EnrolCursor }> {
  const workflows = deps.workflows.filter((w) => w.dataSource === "all-members");
  const maxMembers = options.maxMembers ?? Infinity;
  const results: WorkflowEnrolment[] = [];
  let read = 0;
  let cursor: EnrolCursor | undefined = options.cursor ?? { workflow: 0 };
  while (cursor && cursor.workflow < workflows.length) {
    if (read >= maxMembers) return { enrolments: results, cursor };
    const workflow = workflows[cursor.workflow]!;
    const page = await deps.members.activeSegmentMemberPage(workflow.segmentId, cursor.after, MEMBER_PAGE);
    read += page.contactIds.length;
    const { enrolled, skipped } = await enrolContacts(workflow, page.contactIds, deps, now);
    let result = results.find((r) => r.workflowId === workflow.id);
    if (!result) results.push((result = { workflowId: workflow.id, enrolled: 0, skipped: 0 }));
    result.enrolled += enrolled.length;
    result.skipped += skipped;
    cursor = page.next !== undefined ? { workflow: cursor.workflow, after: page.next } : { workflow: cursor.workflow + 1 };
  }
  return { enrolments: results };
}

/** "Entered segment" events: each entrant enrols in the workflows whose audience is that segment. */
export async function enrolEntrants(entered: readonly { segmentId: string; contactId: string }[], deps: Omit<EnrolDependencies, "members">, now: number): Promise<WorkflowEnrolment[]> {
  const results: WorkflowEnrolment[] = [];
  for (const workflow of deps.workflows) {
    const contacts = entered.filter((e) => e.segmentId === workflow.segmentId).map((e) => e.contactId);
    if (contacts.length === 0) continue;
    const { enrolled, skipped } = await enrolContacts(workflow, contacts, deps, now);
    results.push({ workflowId: workflow.id, enrolled: enrolled.length, skipped });
  }
  return results;
}
