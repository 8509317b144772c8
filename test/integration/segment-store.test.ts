import { describe, expect, it } from "vitest";
import { membershipChanges } from "../../functions/domain/segments/segment-membership.js";
import { segmentTemplates } from "../../functions/domain/segments/segment-templates.js";
import { useDynalite } from "../support/dynalite.js";

const dynalite = useDynalite("segments");

describe("membership changes", () => {
  it("writes only who entered and who left; those who stayed keep their entry time", () => {
    // Prepare
    const active = new Map([
      ["a", { contactId: "a", enteredAt: "2024-06-01T00:00:00Z" }],
      ["b", { contactId: "b", enteredAt: "2024-06-01T00:00:00Z" }],
    ]);
    // Act and assess
    expect(membershipChanges(active, ["b", "c"], "2024-06-02T00:00:00Z")).toEqual({
      entered: [{ contactId: "c", enteredAt: "2024-06-02T00:00:00Z" }],
      left: [{ contactId: "a", enteredAt: "2024-06-01T00:00:00Z", leftAt: "2024-06-02T00:00:00Z" }],
      stayed: 1,
    });
  });
});

describe("segments in the table", () => {
  it("stores definitions under one partition and lists them back", async () => {
    // Prepare
    const { store } = await dynalite.newStore();
    // Act
    for (const definition of segmentTemplates) await store.putSegmentDefinition(definition);
    // Assess
    expect((await store.listSegmentDefinitions()).map((d) => d.id).sort()).toEqual(segmentTemplates.map((d) => d.id).sort());
  });

  it("keeps members with entered and left times; a recompute that changes nothing writes nothing new", async () => {
    // Prepare
    const { store } = await dynalite.newStore();
    const first = membershipChanges(await store.activeSegmentMembers("win-back"), ["a", "b"], "2024-06-01T00:00:00Z");
    await store.applyMembershipChanges("win-back", first);
    // Act
    const second = membershipChanges(await store.activeSegmentMembers("win-back"), ["b", "c"], "2024-06-02T00:00:00Z");
    // Assess
    expect(second.entered.map((m) => m.contactId)).toEqual(["c"]);
    expect(second.left).toEqual([{ contactId: "a", enteredAt: "2024-06-01T00:00:00Z", leftAt: "2024-06-02T00:00:00Z" }]);
    await store.applyMembershipChanges("win-back", second);
    const active = await store.activeSegmentMembers("win-back");
    expect([...active.values()].sort((x, y) => x.contactId.localeCompare(y.contactId))).toEqual([
      { contactId: "b", enteredAt: "2024-06-01T00:00:00Z" },
      { contactId: "c", enteredAt: "2024-06-02T00:00:00Z" },
    ]);
    expect(membershipChanges(active, ["b", "c"], "2024-06-03T00:00:00Z")).toEqual({ entered: [], left: [], stayed: 2 });
  });
});
