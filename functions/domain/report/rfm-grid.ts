import type { ContactScores } from "../clv/contact-scores.js";
import { rfmGroup, rfmGroups, type RfmGroup, type RfmScore } from "../clv/rfm.js";

export interface RfmGridCell {
  recency: RfmScore;
  /** round((frequency + monetary) / 2): the grid's column. */
  frequencyMonetary: RfmScore;
  group: RfmGroup;
  contacts: number;
}

export interface RfmGrid {
  /** All 25 cells, recency 5 → 1, then frequency-monetary 1 → 5; empty cells have 0 contacts. */
  cells: RfmGridCell[];
  /** Contacts per named group, in rfmGroups order (groups with none included, as 0). */
  groups: { group: RfmGroup; contacts: number }[];
  contacts: number;
}

const SCORES: readonly RfmScore[] = [1, 2, 3, 4, 5];

/**
 * Contacts on the RFM grid the groups are named from (rfm.ts): rows are the recency score, columns
 * the mean of the frequency and monetary scores rounded, each cell named by its group, so the grid
 * shows both how many contacts fall where and why they carry their group's name.
 */
export function rfmGrid(scores: readonly ContactScores[]): RfmGrid {
  const counts = new Map<string, number>();
  const byGroup = new Map<RfmGroup, number>();
  for (const s of scores) {
    const fm = Math.round((s.rfmFrequency + s.rfmMonetary) / 2);
    const key = `${s.rfmRecency}|${fm}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    byGroup.set(s.rfmGroup, (byGroup.get(s.rfmGroup) ?? 0) + 1);
  }
  const cells = [...SCORES].reverse().flatMap((recency) =>
    SCORES.map((frequencyMonetary) => ({
      recency,
      frequencyMonetary,
      // Frequency and monetary both equal to the column give the column's group (rfmGroup rounds their mean).
      group: rfmGroup(recency, frequencyMonetary, frequencyMonetary),
      contacts: counts.get(`${recency}|${frequencyMonetary}`) ?? 0,
    })),
  );
  return { cells, groups: rfmGroups.map((group) => ({ group, contacts: byGroup.get(group) ?? 0 })), contacts: scores.length };
}
