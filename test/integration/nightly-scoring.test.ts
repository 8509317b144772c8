import { describe, expect, it } from "vitest";
import { runNightlyLocally as runNightlyScoring } from "../../functions/local/local-nightly.js";
import { parseSegmentDefinition } from "../../functions/domain/segments/segment-definition.js";
import { useDynalite } from "../support/dynalite.js";

const dynalite = useDynalite("nightly");
const NOW = Date.parse("2024-06-30T00:00:00Z");
const order = (id: string, contactId: string, createdAt: string, total: number) => ({ id, contactId, createdAt, total, currency: "EUR" as const, status: "placed" as const });

describe("the nightly job on one machine", () => {
  it("writes every score the first night, none when nothing changed, and only the changed ones after a new order", async () => {
    const { store } = await dynalite.newStore();
    await store.recordOrders([order("1", "ann", "2024-05-01T10:00:00Z", 50), order("2", "ann", "2024-06-01T10:00:00Z", 70), order("3", "ben", "2024-03-01T10:00:00Z", 20)]);
    await store.putSegmentDefinition(parseSegmentDefinition({ id: "repeat", name: "Repeat buyers", match: { all: [{ field: "orderCount", op: "gte", value: 2 }] } }));

    const first = await runNightlyScoring(store, NOW);
    expect(first.summary.scoresWritten).toBe(2);
    expect(first.plan.eligible).toBe(false);
    expect(first.summary.segments[0]).toMatchObject({ id: "repeat", entered: 1, left: 0, analytics: { size: 1, averageHistoricClv: 120 } });
    expect([...(await store.activeSegmentMembers("repeat")).keys()]).toEqual(["ann"]);

    const again = await runNightlyScoring(store, NOW);
    expect(again.summary.scoresWritten).toBe(0);
    expect(again.summary.segments[0]).toMatchObject({ entered: 0, left: 0, analytics: { size: 1 } });

    await store.recordOrder(order("4", "ben", "2024-06-20T10:00:00Z", 30));
    const after = await runNightlyScoring(store, NOW);
    expect(after.summary.scoresWritten).toBeGreaterThanOrEqual(1);
    expect(after.summary.segments[0]).toMatchObject({ entered: 1, left: 0, analytics: { size: 2 } });
    expect([...(await store.activeSegmentMembers("repeat")).keys()].sort()).toEqual(["ann", "ben"]);
    expect(await store.latestNightlySummary()).toMatchObject({ runId: after.plan.runId, contacts: 2 });
    expect((await store.getScores("ben"))!.orderCount).toBe(2);
  });

  it("the current model is the run that completed last, not the one with the newest as-of date", async () => {
    // Prepare: today's night, then a night re-run for an earlier date (`clv nightly`, then `clv nightly --as-of`).
    const { store } = await dynalite.newStore();
    await store.recordOrders([order("1", "ann", "2024-05-01T10:00:00Z", 50), order("2", "ann", "2024-06-01T10:00:00Z", 70)]);
    const today = await runNightlyScoring(store, NOW);
    const earlier = await runNightlyScoring(store, Date.parse("2024-06-10T00:00:00Z"));

    // Act
    const current = await store.latestCompletedPlan();
    const summary = await store.latestNightlySummary();

    // Assess
    expect(earlier.plan.runId < today.plan.runId).toBe(true);
    expect(current?.runId).toBe(earlier.plan.runId);
    expect(summary?.runId).toBe(earlier.plan.runId);

    // Act: today's night again completes last, and is current again.
    const again = await runNightlyScoring(store, NOW);
    expect((await store.latestCompletedPlan())?.runId).toBe(again.plan.runId);
  });
});
