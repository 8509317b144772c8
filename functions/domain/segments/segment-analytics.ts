import type { ContactScores } from "../clv/contact-scores.js";
import { rfmGroups, type RfmGroup } from "../clv/rfm.js";

/** What Klaviyo shows for a CLV segment, and Connectif's RFM mix. */
export interface SegmentAnalytics {
  size: number;
  averageHistoricClv: number | null;
  averagePredictedClv12m: number | null;
  averageTotalClv: number | null;
  /** Σ predicted CLV (12m) of the members. */
  predictedRevenue12m: number;
  /** (1 − mean churn risk) × size: members expected to order in the churn horizon. */
  expectedReturningCustomers: number | null;
  rfmMix: Partial<Record<RfmGroup, number>>;
}

/**
 * Sums from which the analytics follow, so that scan segments scored apart (a Distributed Map) each
 * tally their members and the night adds the tallies up.
 */
export interface SegmentTally {
  size: number;
  historicClv: [sum: number, count: number];
  predictedClv12m: [sum: number, count: number];
  totalClv: [sum: number, count: number];
  churnRisk: [sum: number, count: number];
  rfmMix: Partial<Record<RfmGroup, number>>;
}

export const emptyTally = (): SegmentTally => ({ size: 0, historicClv: [0, 0], predictedClv12m: [0, 0], totalClv: [0, 0], churnRisk: [0, 0], rfmMix: {} });

/** Adds one member (without scores: a contact with no orders) to the tally. */
export function tallyMember(tally: SegmentTally, scores: ContactScores | undefined): void {
  tally.size++;
  if (!scores) return;
  const add = (pair: [number, number], v: number | null) => {
    if (v === null) return;
    pair[0] += v;
    pair[1]++;
  };
  add(tally.historicClv, scores.historicClv);
  add(tally.predictedClv12m, scores.predictedClv12m);
  add(tally.totalClv, scores.totalClv);
  add(tally.churnRisk, scores.churnRisk);
  tally.rfmMix[scores.rfmGroup] = (tally.rfmMix[scores.rfmGroup] ?? 0) + 1;
}

export function mergeTallies(tallies: Iterable<SegmentTally>): SegmentTally {
  const total = emptyTally();
  const add = (into: [number, number], from: [number, number]) => {
    into[0] += from[0];
    into[1] += from[1];
  };
  for (const t of tallies) {
    total.size += t.size;
    add(total.historicClv, t.historicClv);
    add(total.predictedClv12m, t.predictedClv12m);
    add(total.totalClv, t.totalClv);
    add(total.churnRisk, t.churnRisk);
    for (const [group, n] of Object.entries(t.rfmMix) as [RfmGroup, number][]) total.rfmMix[group] = (total.rfmMix[group] ?? 0) + n;
  }
  return total;
}

export function analyticsOfTally(t: SegmentTally): SegmentAnalytics {
  const mean = ([sum, n]: [number, number]) => (n > 0 ? sum / n : null);
  const churn = mean(t.churnRisk);
  const rfmMix: Partial<Record<RfmGroup, number>> = {};
  for (const group of rfmGroups) if (t.rfmMix[group]) rfmMix[group] = t.rfmMix[group];
  return {
    size: t.size,
    averageHistoricClv: mean(t.historicClv),
    averagePredictedClv12m: mean(t.predictedClv12m),
    averageTotalClv: mean(t.totalClv),
    predictedRevenue12m: t.predictedClv12m[0],
    expectedReturningCustomers: churn === null ? null : (1 - churn) * t.size,
    rfmMix,
  };
}

export function segmentAnalytics(members: readonly ContactScores[]): SegmentAnalytics {
  const tally = emptyTally();
  for (const s of members) tallyMember(tally, s);
  return analyticsOfTally(tally);
}
