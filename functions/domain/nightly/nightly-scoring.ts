import { createHash } from "node:crypto";
import { scoreContacts, type ContactScores, type StorePopulation } from "../clv/contact-scores.js";
import { HistoryFold, runModelsOnFold } from "../clv/history-fold.js";
import { calibrationEndDayOf, defaultModelRunOptions, type ModelRun } from "../clv/model-run.js";
import { dayNumber, type ContactHistory } from "../clv/order-history.js";
import { analyticsOfTally, emptyTally, mergeTallies, tallyMember, type SegmentAnalytics, type SegmentTally } from "../segments/segment-analytics.js";
import type { NumericField, SegmentDefinition } from "../segments/segment-definition.js";
import { isMember, segmentContact, type MembershipChanges, type SegmentContact } from "../segments/segment-membership.js";
import type { ContactProfile } from "../store/contact.js";
import { scoreWriteDue } from "./score-writes.js";

/**
 * The night's plan, made once over every contact and kept with the model run (PK MODELRUN): the
 * fitted models, the store's RFM scale and averages. Each scan segment is then scored on its own
 * (a Distributed Map on AWS), and a contact changed between nights is rescored with the latest
 * completed plan, so every contact is scored against the same store-wide figures.
 */
export interface NightlyPlan {
  /** ISO time the night started: the model run's key. */
  runId: string;
  asOf: number;
  run: ModelRun;
  population: StorePopulation;
  /** The store's average of each figure, for relative segment thresholds. */
  storeAverages: Partial<Record<NumericField, number>>;
  scanSegments: number;
  /** The store's first purchase day (day number): the next night splits its calibration window by it. */
  firstPurchaseDay?: number;
  /** Purchase days per calendar month ("YYYY-MM"), for seasonality. */
  monthlyPurchases?: Record<string, number>;
  /** What the models were fitted on (foldDigest): a night re-run on the same data reuses `run` instead of fitting again. */
  foldDigest?: string;
}

/** Everything the night reads of one contact: its partition's profile, scores, memberships and e-mail events. */
export interface ContactState {
  contactId: string;
  profile?: ContactProfile;
  history?: ContactHistory;
  scores?: ContactScores;
  /** ISO time the stored scores were written (score-writes.ts: a score older than its maximum age is written again). */
  scoredAt?: string;
  /** Segment id → when the contact entered it, as last written. */
  memberships: Readonly<Record<string, string>>;
  emailEvents: SegmentContact["emailEvents"];
}

export interface ContactMemberships {
  contactId: string;
  memberships: Record<string, string>;
}

/** What to write after rescoring some contacts: only what changed. */
export interface Rescored {
  contacts: number;
  scores: ContactScores[];
  memberships: ContactMemberships[];
  /** Per segment id, the contacts that entered and left. */
  changes: Map<string, MembershipChanges>;
  /** Per segment id, the members' tally for the night's analytics. */
  tallies: Map<string, SegmentTally>;
}

/** What the night needs of the store. DynamoDbStore implements it; the same calls run on AWS and locally. */
export interface NightlyStore {
  scanHistories(segment: number, totalSegments: number): AsyncIterable<ContactHistory[]>;
  scanContactStates(segment: number, totalSegments: number): AsyncIterable<ContactState[]>;
  saveNightlyPlan(plan: NightlyPlan): Promise<void>;
  /** The plan of the last night that completed: the current model. */
  latestCompletedPlan(): Promise<NightlyPlan | undefined>;
  getNightlyPlan(runId: string): Promise<NightlyPlan | undefined>;
  completeNightlyRun(runId: string, summary: NightlySummary): Promise<void>;
  listSegmentDefinitions(): Promise<SegmentDefinition[]>;
  putScores(scores: readonly ContactScores[]): Promise<void>;
  applyMembershipChanges(segmentId: string, changes: MembershipChanges): Promise<void>;
  putContactMemberships(memberships: readonly ContactMemberships[]): Promise<void>;
}

/** Step 1 on histories in memory: fold them (history-fold.ts) and plan from the fold, as the night does. */
export function planNightlyRun(histories: readonly ContactHistory[], now: number, scanSegments: number): NightlyPlan {
  const asOfDay = dayNumber(now);
  const firstPurchaseDay = histories.reduce((first, h) => Math.min(first, h.purchaseDays[0] ?? Infinity), Infinity);
  const fold = new HistoryFold(now, Number.isFinite(firstPurchaseDay) ? calibrationEndDayOf(firstPurchaseDay, asOfDay) : asOfDay);
  for (const h of histories) fold.add(h);
  return planOfFold(fold, scanSegments);
}

/**
 * The plan from the whole store's fold: fit and select the model, fix the store-wide figures. The
 * model run is `previous`'s when that was fitted on the same fold (the same night run again, nothing
 * changed): fitting is deterministic, and Pareto/NBD's fit takes seconds.
 */
export function planOfFold(fold: HistoryFold, scanSegments: number, previous?: NightlyPlan): NightlyPlan {
  const digest = foldDigest(fold);
  const run = previous?.foldDigest === digest && previous.asOf === fold.asOf ? previous.run : runModelsOnFold(fold);
  const population = fold.population();
  return {
    foldDigest: digest,
    runId: new Date(fold.asOf).toISOString(),
    asOf: fold.asOf,
    run,
    population,
    storeAverages: fold.storeAverages(run, population),
    scanSegments,
    ...(Number.isFinite(fold.firstPurchaseDay) && { firstPurchaseDay: fold.firstPurchaseDay }),
    monthlyPurchases: Object.fromEntries(fold.monthlyPurchases()),
  };
}

/**
 * Step 2, for any set of contacts (a scan segment at night, one contact when it changes): score them
 * with the plan, decide each segment's membership, and keep only what changed.
 */
export function rescoreContacts(contacts: readonly ContactState[], plan: NightlyPlan, definitions: readonly SegmentDefinition[], now: number): Rescored {
  const withHistory = contacts.filter((c) => c.history);
  const fresh = scoreContacts(
    withHistory.map((c) => c.history!),
    now,
    plan.run,
    undefined,
    plan.population,
  );
  const scoresOf = new Map(fresh.map((s) => [s.contactId, s]));
  const at = new Date(now).toISOString();
  const context = { now, storeAverages: plan.storeAverages };
  const result: Rescored = { contacts: contacts.length, scores: [], memberships: [], changes: new Map(), tallies: new Map() };
  for (const d of definitions) {
    result.changes.set(d.id, { entered: [], left: [], stayed: 0 });
    result.tallies.set(d.id, emptyTally());
  }
  for (const contact of contacts) {
    const scores = scoresOf.get(contact.contactId);
    const seen = segmentContact(contact.contactId, {
      ...(contact.profile && { profile: contact.profile }),
      ...(scores && { scores }),
      ...(contact.history && { history: contact.history }),
      emailEvents: contact.emailEvents,
    });
    const memberships: Record<string, string> = {};
    let changed = false;
    for (const d of definitions) {
      const enteredAt = contact.memberships[d.id];
      const changes = result.changes.get(d.id)!;
      if (isMember(d, seen, context)) {
        tallyMember(result.tallies.get(d.id)!, scores);
        memberships[d.id] = enteredAt ?? at;
        if (enteredAt === undefined) {
          changes.entered.push({ contactId: contact.contactId, enteredAt: at });
          changed = true;
        } else changes.stayed++;
      } else if (enteredAt !== undefined) {
        changes.left.push({ contactId: contact.contactId, enteredAt, leftAt: at });
        changed = true;
      }
    }
    // Memberships of segments that no longer exist are dropped with the next change.
    if (changed) result.memberships.push({ contactId: contact.contactId, memberships });
    // Only a change a reader could see, or a score past its age, costs a write (score-writes.ts).
    if (scores && scoreWriteDue(contact, scores, { now, membershipChanged: changed })) result.scores.push(scores);
  }
  return result;
}

/**
 * Writes what rescoring changed. Segment members first, the contact's own list last: if the process
 * dies in between, the next run sees the old list, finds the same change and writes it again.
 */
export async function writeRescored(store: NightlyStore, rescored: Rescored): Promise<void> {
  await store.putScores(rescored.scores);
  for (const [segmentId, changes] of rescored.changes) if (changes.entered.length + changes.left.length > 0) await store.applyMembershipChanges(segmentId, changes);
  await store.putContactMemberships(rescored.memberships);
}

export interface ScanSegmentTask {
  runId: string;
  segment: number;
  totalSegments: number;
}

export interface SegmentCounts {
  entered: number;
  left: number;
  tally: SegmentTally;
}

export interface ScanSegmentResult {
  segment: number;
  contacts: number;
  scoresWritten: number;
  segments: Record<string, SegmentCounts>;
}

export class NightlyPlanMissingError extends Error {
  constructor(runId: string) {
    super(`no nightly plan for run ${runId}: the plan step must run first`);
    this.name = "NightlyPlanMissingError";
  }
}

/** Step 2 of the night for one scan segment: the Map's item processor. Safe to run again. */
export async function scoreScanSegment(store: NightlyStore, task: ScanSegmentTask): Promise<ScanSegmentResult> {
  const plan = await store.getNightlyPlan(task.runId);
  if (!plan) throw new NightlyPlanMissingError(task.runId);
  const definitions = await store.listSegmentDefinitions();
  const result: ScanSegmentResult = { segment: task.segment, contacts: 0, scoresWritten: 0, segments: {} };
  for (const d of definitions) result.segments[d.id] = { entered: 0, left: 0, tally: emptyTally() };
  for await (const page of store.scanContactStates(task.segment, task.totalSegments)) {
    const rescored = rescoreContacts(page, plan, definitions, plan.asOf);
    await writeRescored(store, rescored);
    result.contacts += rescored.contacts;
    result.scoresWritten += rescored.scores.length;
    for (const d of definitions) {
      const counts = result.segments[d.id]!;
      const changes = rescored.changes.get(d.id)!;
      counts.entered += changes.entered.length;
      counts.left += changes.left.length;
      counts.tally = mergeTallies([counts.tally, rescored.tallies.get(d.id)!]);
    }
  }
  return result;
}

export interface NightlySegmentSummary {
  id: string;
  name: string;
  entered: number;
  left: number;
  analytics: SegmentAnalytics;
}

/** What the night did, kept with the model run. */
export interface NightlySummary {
  runId: string;
  completedAt: string;
  contacts: number;
  scoresWritten: number;
  model: string | null;
  reasons: string[];
  segments: NightlySegmentSummary[];
}

/** Step 3: add up the scan segments' results and mark the run complete (the current model from now on). */
export async function finishNightlyRun(store: NightlyStore, runId: string, results: readonly ScanSegmentResult[], now: number): Promise<NightlySummary> {
  const plan = await store.getNightlyPlan(runId);
  if (!plan) throw new NightlyPlanMissingError(runId);
  const definitions = await store.listSegmentDefinitions();
  const summary: NightlySummary = {
    runId,
    completedAt: new Date(now).toISOString(),
    contacts: results.reduce((n, r) => n + r.contacts, 0),
    scoresWritten: results.reduce((n, r) => n + r.scoresWritten, 0),
    model: plan.run.purchaseModel?.model ?? null,
    reasons: plan.run.reasons,
    segments: definitions.map((d) => {
      const counts = results.flatMap((r) => (r.segments[d.id] ? [r.segments[d.id]!] : []));
      return {
        id: d.id,
        name: d.name,
        entered: counts.reduce((n, c) => n + c.entered, 0),
        left: counts.reduce((n, c) => n + c.left, 0),
        analytics: analyticsOfTally(mergeTallies(counts.map((c) => c.tally))),
      };
    }),
  };
  await store.completeNightlyRun(runId, summary);
  return summary;
}

/** What the plan step did, besides the plan: for its log line and the benchmark. */
export interface PlanReading {
  /** Times the table was read: 2 when the store's first order moved (the first night, an import of older orders). */
  scans: number;
  /** Distinct rows of the merged fold: what the plan's memory grows with. */
  distinctRows: number;
}

/**
 * Step 1 through the store: each scan segment (in parallel) folds its contacts' histories, the folds
 * are merged, and the plan is fitted on the merge; no step holds every contact. The calibration
 * window depends on the store's first order, known for sure only after the scan: the fold splits at
 * the last night's, and the table is read once more when that was not the store's.
 */
export async function startNightlyRun(store: NightlyStore, now: number, scanSegments: number): Promise<NightlyPlan & { reading: PlanReading }> {
  const asOfDay = dayNumber(now);
  const previous = await store.latestCompletedPlan();
  let calibrationEndDay = previous?.firstPurchaseDay !== undefined ? calibrationEndDayOf(previous.firstPurchaseDay, asOfDay) : asOfDay;
  let fold = await foldTable(store, now, calibrationEndDay, scanSegments);
  let scans = 1;
  const expected = fold.expectedCalibrationEndDay();
  if (expected !== undefined && expected !== calibrationEndDay) {
    calibrationEndDay = expected;
    fold = await foldTable(store, now, calibrationEndDay, scanSegments);
    scans++;
  }
  const plan = planOfFold(fold, scanSegments, previous);
  await store.saveNightlyPlan(plan);
  return { ...plan, reading: { scans, distinctRows: fold.distinctRows } };
}

/** A digest of everything the model run is computed from: the as-of time, the eligibility facts and the run's tables. */
function foldDigest(fold: HistoryFold): string {
  const hash = createHash("sha256");
  const feed = (value: unknown): void => {
    if (ArrayBuffer.isView(value)) hash.update(`#${value.byteLength}:`).update(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    else if (value instanceof Map) for (const [key, v] of value) (hash.update(`${String(key)}=`), feed(v));
    else if (value !== null && typeof value === "object") for (const key of Object.keys(value).sort()) (hash.update(`${key}:`), feed((value as Record<string, unknown>)[key]));
    else hash.update(`${typeof value}:${String(value)};`);
  };
  feed({ asOf: fold.asOf, facts: fold.facts, tables: fold.facts.customers > 0 ? fold.tables(defaultModelRunOptions.unit) : null });
  return hash.digest("hex");
}

/** Every scan segment folded on its own, then merged. */
async function foldTable(store: NightlyStore, now: number, calibrationEndDay: number, scanSegments: number): Promise<HistoryFold> {
  const folds = await Promise.all(
    Array.from({ length: scanSegments }, async (_, segment) => {
      const fold = new HistoryFold(now, calibrationEndDay);
      for await (const page of store.scanHistories(segment, scanSegments)) for (const h of page) fold.add(h);
      return fold;
    }),
  );
  const merged = folds[0] ?? new HistoryFold(now, calibrationEndDay);
  for (const fold of folds.slice(1)) merged.merge(fold);
  return merged;
}
