import type { ContactScores } from "../clv/contact-scores.js";
import type { SegmentDefinition } from "./segment-definition.js";
import { membershipChanges, segmentMembers, storeAverages, type Membership, type MembershipChanges, type SegmentContact } from "./segment-membership.js";

/** What recomputing segments needs of the store. */
export interface SegmentStore {
  listSegmentDefinitions(): Promise<SegmentDefinition[]>;
  activeSegmentMembers(segmentId: string): Promise<Map<string, Membership>>;
  applyMembershipChanges(segmentId: string, changes: MembershipChanges): Promise<void>;
}

export interface RecomputedSegment {
  definition: SegmentDefinition;
  members: SegmentContact[];
  changes: MembershipChanges;
}

/**
 * After scoring: every segment's members from the fresh scores, and only the memberships that changed
 * written back (each entry an "entered segment" event on the table's stream).
 */
export async function recomputeSegments(store: SegmentStore, contacts: readonly SegmentContact[], scores: readonly ContactScores[], now: number): Promise<RecomputedSegment[]> {
  const context = { now, storeAverages: storeAverages(scores, now) };
  const at = new Date(now).toISOString();
  const recomputed: RecomputedSegment[] = [];
  for (const definition of await store.listSegmentDefinitions()) {
    const members = segmentMembers(definition, contacts, context);
    const changes = membershipChanges(await store.activeSegmentMembers(definition.id), members.map((m) => m.contactId), at);
    await store.applyMembershipChanges(definition.id, changes);
    recomputed.push({ definition, members, changes });
  }
  return recomputed;
}
