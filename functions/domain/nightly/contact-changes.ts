import type { SegmentDefinition } from "../segments/segment-definition.js";
import { rescoreContacts, writeRescored, type ContactState, type NightlyPlan, type NightlyStore, type Rescored } from "./nightly-scoring.js";

/** What rescoring a changed contact needs of the store, besides the night's writes. */
export interface ContactChangeStore extends NightlyStore {
  getContactStates(contactIds: readonly string[]): Promise<ContactState[]>;
}

export type ContactChangeOutcome = { rescored: Rescored } | { skipped: string };

/**
 * A contact changed between nights (a new order, a refund, an unsubscribe): rescore it with the current
 * model and the store-wide figures of the last night, and update its segment memberships, so a
 * Win-Back member who just ordered leaves the segment within seconds, not at the next night.
 */
export async function rescoreChangedContacts(
  store: ContactChangeStore,
  contactIds: readonly string[],
  now: number,
  cached: { plan?: NightlyPlan; definitions?: SegmentDefinition[] } = {},
): Promise<ContactChangeOutcome> {
  const plan = cached.plan ?? (await store.latestCompletedPlan());
  if (!plan) return { skipped: "no nightly run has completed yet: contacts are first scored by the nightly job" };
  const definitions = cached.definitions ?? (await store.listSegmentDefinitions());
  const states = await store.getContactStates([...new Set(contactIds)]);
  const rescored = rescoreContacts(states, plan, definitions, now);
  await writeRescored(store, rescored);
  return { rescored };
}
