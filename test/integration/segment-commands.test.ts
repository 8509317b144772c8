import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scoreStore } from "../../functions/domain/clv/score-store.js";
import { membershipChanges } from "../../functions/domain/segments/segment-membership.js";
import { createSegment, exportSegment, listSegments, showSegment } from "../../functions/local/cli/segment-commands.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";

describe("clv segment create / segments / segment show / export", () => {
  const dir = mkdtempSync(join(tmpdir(), "clv-segments-"));
  let local: LocalStore;
  beforeAll(async () => {
    local = await openLocalStore();
  });
  afterAll(async () => {
    await local.close();
  });

  it("creates a segment from JSON, refuses a bad one naming the field, lists, shows and exports it", async () => {
    // Prepare
    const good = join(dir, "big-spenders.json");
    writeFileSync(good, JSON.stringify({ id: "big-spenders", name: "Big spenders", match: { all: [{ field: "historicClv", op: "gte", value: 100 }] } }));
    await createSegment(local.store, good);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ id: "bad", name: "Bad", match: { all: [{ field: "ltv", op: "gte", value: 100 }] } }));
    // Act and assess
    await expect(createSegment(local.store, bad)).rejects.toThrow('match.all.0.field: "ltv" is not a field');

    const { scores } = scoreStore(
      [
        { orderId: "1", contactId: "ann", createdAt: Date.parse("2024-05-01T10:00:00Z"), total: 150 },
        { orderId: "2", contactId: "ben", createdAt: Date.parse("2024-05-02T10:00:00Z"), total: 20 },
      ],
      Date.parse("2024-06-01T00:00:00Z"),
    );
    await local.store.putScores(scores);
    await local.store.putContact("ann", { email: "ann@example.com", subscription: "subscribed", consentAt: "2024-01-01T00:00:00Z" });
    await local.store.applyMembershipChanges("big-spenders", membershipChanges(new Map(), ["ann"], "2024-06-01T00:00:00.000Z"));

    expect((await listSegments(local.store)).join("\n")).toMatch(/big-spenders\s+1 members\s+Big spenders/);
    expect(JSON.parse(await showSegment(local.store, "big-spenders")).analytics).toMatchObject({ size: 1, averageHistoricClv: 150 });
    const file = join(dir, "export.csv");
    expect(await exportSegment(local.store, "big-spenders", file)).toBe(1);
    const [row] = parse(readFileSync(file, "utf8"), { columns: true }) as Record<string, string>[];
    expect(row).toMatchObject({ customer_id: "ann", email: "ann@example.com", enteredSegmentAt: "2024-06-01T00:00:00.000Z", historicClv: "150" });
  });
});
