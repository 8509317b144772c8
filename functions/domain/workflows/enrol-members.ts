import type { Membership } from "../segments/segment-membership.js";
import { enrolContacts, type EnrolmentStore, type WorkflowStarter } from "./workflow-steps.js";
import type { WorkflowDefinition } from "./workflow-definition.js";

export interface EnrolDependencies {
  workflows: readonly WorkflowDefinition[];
  enrolments: EnrolmentStore;
  starter: WorkflowStarter;
  members: { activeSegmentMembers(segmentId: string): Promise<Map<string, Membership>> };
}

export interface WorkflowEnrolment {
  workflowId: string;
  enrolled: number;
  skipped: number;
}

/** After the night: every current member of each "all members" workflow's segment not yet enrolled. */
export async function enrolSegmentMembers(deps: EnrolDependencies, now: number): Promise<WorkflowEnrolment[]> {
  const results: WorkflowEnrolment[] = [];
  for (const workflow of deps.workflows) {
    if (workflow.dataSource !== "all-members") continue;
    const members = await deps.members.activeSegmentMembers(workflow.segmentId);
    const { enrolled, skipped } = await enrolContacts(workflow, members.keys(), deps, now);
    results.push({ workflowId: workflow.id, enrolled: enrolled.length, skipped });
  }
  return results;
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
