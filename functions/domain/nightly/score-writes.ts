import type { ContactScores } from "../clv/contact-scores.js";
import { MS_PER_DAY } from "../clv/order-history.js";
import { fnv1a } from "../numeric/fnv1a.js";

/*
 * When the night writes a contact's SCORES item (README, "What a night costs"). Writes are the
 * night's bill: at 10 million contacts a write of every score is $6.25, and with a prediction every
 * contact's pAlive and predicted orders move a little each day. So a score is written only when a
 * reader could see the change, and at least every week or two:
 *
 * - a figure of the history (orders, revenue, dates, averages), RFM or the churn band changed at all;
 * - a predicted figure moved across the precision it is read at (PREDICTION_PRECISION: the report
 *   shows probabilities as whole percentages, money in whole units);
 * - the contact entered or left a segment (the stored figures then say why);
 * - or the stored score is older than its contact's maximum age (MAX_SCORE_AGE_DAYS, spread by
 *   contact so the refreshes do not all fall on one night).
 *
 * The stored figures therefore differ from tonight's by less than that precision, and are never
 * older than the maximum age; segments are always decided on tonight's figures, not the stored ones.
 */

/** The precision each predicted figure is read at; a move within it is not a change. Days for the date. */
export const PREDICTION_PRECISION = {
  pAlive: 0.01,
  churnRisk: 0.01,
  predictedOrders12m: 0.1,
  predictedClv12m: 1,
  totalClv: 1,
  expectedNextOrderAt: 7,
} as const satisfies Partial<Record<keyof ContactScores, number>>;

/** A score is rewritten after at most this many days plus its contact's spread (0–6 days). */
export const MAX_SCORE_AGE_DAYS = 7;
const AGE_SPREAD_DAYS = 7;

type Predicted = keyof typeof PREDICTION_PRECISION;
const isPredicted = (key: string): key is Predicted => key in PREDICTION_PRECISION;

/** Whether the two values of one figure read differently at the figure's precision. */
function figureMoved(key: keyof ContactScores, previous: unknown, next: unknown): boolean {
  if (previous === next) return false;
  if (previous === null || next === null || previous === undefined || next === undefined || !isPredicted(key)) return true;
  const unit = PREDICTION_PRECISION[key];
  if (key === "expectedNextOrderAt") return Math.abs(Date.parse(String(next)) - Date.parse(String(previous))) >= unit * MS_PER_DAY;
  return Math.round(Number(previous) / unit) !== Math.round(Number(next) / unit);
}

/** Whether a reader could tell the stored figures from tonight's. */
export function visiblyChanged(previous: ContactScores | undefined, next: ContactScores): boolean {
  if (!previous) return true;
  for (const key of Object.keys(next) as (keyof ContactScores)[]) if (figureMoved(key, previous[key], next[key])) return true;
  return false;
}

function sameFigures(previous: ContactScores, next: ContactScores): boolean {
  return (Object.keys(next) as (keyof ContactScores)[]).every((key) => previous[key] === next[key]);
}

/** A contact's maximum score age in days: MAX_SCORE_AGE_DAYS plus 0–6 days by its id (FNV-1a), the same every night. */
export function maxScoreAgeDays(contactId: string): number {
  return MAX_SCORE_AGE_DAYS + (fnv1a(contactId) % AGE_SPREAD_DAYS);
}

export interface StoredScore {
  scores?: ContactScores;
  /** ISO time the stored score was written; unknown for items written before it was kept. */
  scoredAt?: string;
}

/** Whether tonight's figures must be written over the stored ones (the rules above). */
export function scoreWriteDue(stored: StoredScore, next: ContactScores, context: { now: number; membershipChanged: boolean }): boolean {
  if (!stored.scores || visiblyChanged(stored.scores, next)) return true;
  // Figures already exactly tonight's (a night run again after dying between its writes) are not written twice.
  if (context.membershipChanged) return !sameFigures(stored.scores, next);
  const scoredAt = stored.scoredAt === undefined ? NaN : Date.parse(stored.scoredAt);
  // Half a day's slack: a score written a few minutes into last week's night is due tonight, not tomorrow.
  return !(context.now - scoredAt < (maxScoreAgeDays(next.contactId) - 0.5) * MS_PER_DAY);
}
