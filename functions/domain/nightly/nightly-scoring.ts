import { scoreContacts, type ContactScores } from "../clv/contact-scores.js";
import { runModels, type ModelRun } from "../clv/model-run.js";
import type { ContactHistory } from "../clv/order-history.js";
import { recomputeSegments, type RecomputedSegment, type SegmentStore } from "../segments/recompute-segments.js";
import { segmentContact, type SegmentContact } from "../segments/segment-membership.js";
import type { StoredContact } from "../store/ports.js";

/** What the nightly job needs of the store. */
export interface NightlyStore extends SegmentStore {
  listContacts(): AsyncIterable<(StoredContact & { contactId: string })[]>;
  listScores(): AsyncIterable<ContactScores[]>;
  putScores(scores: readonly ContactScores[]): Promise<void>;
  recordModelRun(run: ModelRun, at: string): Promise<void>;
}

export interface NightlyResult {
  run: ModelRun;
  scores: ContactScores[];
  /** Scores written: only those that changed beyond rounding. */
  written: number;
  segments: RecomputedSegment[];
}

/**
 * Rounds a figure for "did it change?": three significant digits, so a night's drift in the fourth
 * digit of a probability costs no write — at 10 million contacts a write of every score is about $6.
 */
function rounded(value: unknown): unknown {
  return typeof value === "number" ? Number(value.toPrecision(3)) : value;
}

export function scoresChanged(previous: ContactScores | undefined, next: ContactScores): boolean {
  if (!previous) return true;
  for (const key of Object.keys(next) as (keyof ContactScores)[]) if (rounded(previous[key]) !== rounded(next[key])) return true;
  return false;
}

/**
 * The nightly job on one machine: read every contact (one item each) → eligibility, fit and select the
 * model → score every contact → write the scores that changed → recompute segments → record the run.
 * The Step Functions definition runs the same steps, the scoring split over scan segments.
 */
export async function runNightlyScoring(store: NightlyStore, now: number): Promise<NightlyResult> {
  const contacts: (StoredContact & { contactId: string })[] = [];
  for await (const page of store.listContacts()) contacts.push(...page);
  const histories = contacts.flatMap((c): ContactHistory[] => (c.history ? [c.history] : []));
  const run = runModels(histories, now);
  const scores = scoreContacts(histories, now, run);
  const previous = new Map<string, ContactScores>();
  for await (const page of store.listScores()) for (const s of page) previous.set(s.contactId, s);
  const changed = scores.filter((s) => scoresChanged(previous.get(s.contactId), s));
  await store.putScores(changed);
  const scoresOf = new Map(scores.map((s) => [s.contactId, s]));
  const segmentContacts: SegmentContact[] = contacts.map((c) => {
    const contactScores = scoresOf.get(c.contactId);
    return segmentContact(c.contactId, { ...(c.profile && { profile: c.profile }), ...(contactScores && { scores: contactScores }), ...(c.history && { history: c.history }) });
  });
  const segments = await recomputeSegments(store, segmentContacts, scores, now);
  await store.recordModelRun(run, new Date(now).toISOString());
  return { run, scores, written: changed.length, segments };
}
