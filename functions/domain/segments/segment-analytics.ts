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

export function segmentAnalytics(members: readonly ContactScores[]): SegmentAnalytics {
  const mean = (pick: (s: ContactScores) => number | null) => {
    let sum = 0;
    let n = 0;
    for (const s of members) {
      const v = pick(s);
      if (v !== null) {
        sum += v;
        n++;
      }
    }
    return n > 0 ? sum / n : null;
  };
  const churn = mean((s) => s.churnRisk);
  const rfmMix: Partial<Record<RfmGroup, number>> = {};
  for (const group of rfmGroups) {
    const n = members.filter((s) => s.rfmGroup === group).length;
    if (n > 0) rfmMix[group] = n;
  }
  return {
    size: members.length,
    averageHistoricClv: mean((s) => s.historicClv),
    averagePredictedClv12m: mean((s) => s.predictedClv12m),
    averageTotalClv: mean((s) => s.totalClv),
    predictedRevenue12m: members.reduce((sum, s) => sum + (s.predictedClv12m ?? 0), 0),
    expectedReturningCustomers: churn === null ? null : (1 - churn) * members.length,
    rfmMix,
  };
}
