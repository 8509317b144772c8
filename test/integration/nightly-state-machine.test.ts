import { describe, expect, it } from "vitest";
import { UnprocessedItemsError } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { handleContactChanges } from "../../functions/handlers/contact-changes.js";
import { runNightlyLocally } from "../../functions/local/local-nightly.js";
import { taskStateNames } from "../../functions/local/state-machines.js";
import { synthesizedDefinition } from "../../functions/local/stack-synth.js";
import { segmentTemplates } from "../../functions/domain/segments/segment-templates.js";
import { NIGHTLY_STATES } from "../../lib/nightly-scoring.js";
import { scoreSegment } from "../../functions/handlers/nightly-score-segment.js";
import { useDynalite } from "../support/dynalite.js";

const dynalite = useDynalite("night-sfn");
const NOW = Date.parse("2024-06-30T00:00:00Z");
const DAY = 86_400_000;
const winBack = segmentTemplates.find((t) => t.id === "win-back")!;
const iso = (ms: number) => new Date(ms).toISOString();
const order = (id: string, contactId: string, at: number, total: number) => ({ id, contactId, createdAt: iso(at), total, currency: "EUR" as const, status: "placed" as const });

/**
 * 20 contacts: eleven recent one-time buyers of €20, five two-time buyers of €50, and four who bought
 * four times for €200 but not for 300 days — the lowest fifth on recency, the highest on frequency and
 * monetary: the Win-Back segment.
 */
async function storeWithLapsedBigSpenders() {
  const { store } = await dynalite.newStore();
  const orders = [];
  for (let i = 0; i < 11; i++) orders.push(order(`n${i}`, `new-${i}`, NOW - (i + 1) * DAY, 20));
  for (let i = 0; i < 5; i++) for (let k = 0; k < 2; k++) orders.push(order(`m${i}-${k}`, `mid-${i}`, NOW - (40 + 30 * k + i) * DAY, 50));
  for (let i = 0; i < 4; i++) for (let k = 0; k < 4; k++) orders.push(order(`l${i}-${k}`, `lapsed-${i}`, NOW - (300 + 40 * k + i) * DAY, 200));
  await store.recordOrders(orders);
  await store.putSegmentDefinition(winBack);
  return store;
}

const profileChanged = (contactId: string, sequence: string) => ({
  eventName: "MODIFY",
  dynamodb: { Keys: { PK: { S: `CONTACT#${contactId}` }, SK: { S: "PROFILE" } }, SequenceNumber: sequence },
});

describe("the nightly state machine that cdk synth emits, under aws-local-stepfunctions", () => {
  it("is JSONPath with a Distributed Map over scan segments taken from the plan, and every Task has a local handler", () => {
    // Act
    const definition = synthesizedDefinition("Nightly");
    // Assess
    expect(definition.QueryLanguage ?? "JSONPath").toBe("JSONPath");
    const map = definition.States[NIGHTLY_STATES.scoreSegments]!;
    expect(map).toMatchObject({ Type: "Map", ItemsPath: "$.plan.scanSegments", ItemProcessor: { ProcessorConfig: { Mode: "DISTRIBUTED" } } });
    expect(map.ItemReader).toBeUndefined();
    expect(taskStateNames(definition).sort()).toEqual([NIGHTLY_STATES.enrol, NIGHTLY_STATES.finish, NIGHTLY_STATES.plan, NIGHTLY_STATES.scoreSegment].sort());
  });

  it("scores every contact, fills Win-Back, completes the run; the same night again writes nothing", async () => {
    // Prepare
    const store = await storeWithLapsedBigSpenders();
    // Act
    const night = await runNightlyLocally(store, NOW, { scanSegments: 3 });
    // Assess
    expect(night.plan.scanSegments).toHaveLength(3);
    expect(night.results.reduce((n, r) => n + r.contacts, 0)).toBe(20);
    expect(night.summary).toMatchObject({ contacts: 20, scoresWritten: 20, segments: [{ id: "win-back", entered: 4, left: 0, analytics: { size: 4, averageHistoricClv: 800 } }] });
    expect([...(await store.activeSegmentMembers("win-back")).keys()].sort()).toEqual(["lapsed-0", "lapsed-1", "lapsed-2", "lapsed-3"]);
    expect((await store.latestNightlySummary())?.runId).toBe(night.plan.runId);

    const again = await runNightlyLocally(store, NOW, { scanSegments: 3 });
    expect(again.summary).toMatchObject({ contacts: 20, scoresWritten: 0, segments: [{ entered: 0, left: 0, analytics: { size: 4 } }] });
  });

  it("retries a throttled scan segment and still finishes", async () => {
    // Prepare
    const store = await storeWithLapsedBigSpenders();
    let failures = 0;
    const realScore = scoreSegment({ store: async () => store });
    // Act
    const night = await runNightlyLocally(store, NOW, {
      tasks: {
        [NIGHTLY_STATES.scoreSegment]: async (input) => {
          if ((input as { segment: number }).segment === 1 && failures++ < 2) throw new UnprocessedItemsError("BatchWriteItem", 3, 8, "t");
          return realScore(input);
        },
      },
    });
    // Assess
    expect(failures).toBe(3);
    expect(night.summary.contacts).toBe(20);
  });

  it("a failed night fails the execution and leaves the last completed run as the current model", async () => {
    // Prepare
    const store = await storeWithLapsedBigSpenders();
    const first = await runNightlyLocally(store, NOW);
    // Act
    const failing = runNightlyLocally(store, NOW + DAY, {
      tasks: {
        [NIGHTLY_STATES.scoreSegment]: async () => {
          throw new Error("the scoring Lambda died");
        },
      },
    });
    // Assess
    await expect(failing).rejects.toThrow(/the scoring Lambda died/);
    expect((await store.latestCompletedPlan())?.runId).toBe(first.plan.runId);
  });
});

describe("a contact that changes between nights (the table's stream)", () => {
  it("a new order moves a contact out of Win-Back without a nightly run", async () => {
    // Prepare
    const store = await storeWithLapsedBigSpenders();
    // Act
    await runNightlyLocally(store, NOW);
    // Assess
    expect((await store.activeSegmentMembers("win-back")).has("lapsed-2")).toBe(true);

    const later = NOW + 2 * 3_600_000;
    await store.recordOrder(order("comeback", "lapsed-2", later - 60_000, 180));
    const result = await handleContactChanges(store, { Records: [profileChanged("lapsed-2", "100")] }, later);

    expect(result).toMatchObject({ batchItemFailures: [], rescored: 1, left: [{ segmentId: "win-back", contactId: "lapsed-2" }] });
    expect((await store.activeSegmentMembers("win-back")).has("lapsed-2")).toBe(false);
    expect(await store.getScores("lapsed-2")).toMatchObject({ orderCount: 5, rfmRecency: 5 });
    const [state] = await store.getContactStates(["lapsed-2"]);
    expect(state!.memberships).toEqual({});
  });

  it("a record it cannot read is reported as failed, and the rest of the batch goes on", async () => {
    // Prepare
    const store = await storeWithLapsedBigSpenders();
    await runNightlyLocally(store, NOW);
    await store.recordOrder(order("comeback", "lapsed-3", NOW + 3_600_000, 180));
    const poisoned = { eventName: "MODIFY", dynamodb: { Keys: { PK: { S: "SEGMENTS" } }, SequenceNumber: "7" } };
    // Act
    const result = await handleContactChanges(store, { Records: [poisoned, profileChanged("lapsed-3", "8")] }, NOW + 7_200_000);
    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "7" }]);
    expect(result.left).toEqual([{ segmentId: "win-back", contactId: "lapsed-3" }]);
  });

  it("before any night has completed, a change waits for the nightly job", async () => {
    // Prepare
    const store = await storeWithLapsedBigSpenders();
    // Act
    const result = await handleContactChanges(store, { Records: [profileChanged("new-1", "1")] }, NOW);
    // Assess
    expect(result).toMatchObject({ batchItemFailures: [], rescored: 0 });
    expect(await store.getScores("new-1")).toBeUndefined();
  });
});
