import { describe, expect, it } from "vitest";
import {
  contactIdOf,
  couponAssignedKey,
  couponCodeKey,
  couponSetListingKey,
  couponSetMetaKey,
  couponSlotKey,
  emailEventKey,
  enrolmentKey,
  membershipsKey,
  modelRunKey,
  orderClaimKey,
  orderClaimSlot,
  orderKey,
  profileKey,
  scoresKey,
  segmentDefinitionKey,
  segmentIdOf,
  segmentMemberKey,
  sendKey,
  suppressionKey,
  summaryAttributeOf,
  countedAttribute,
  removedAttribute,
} from "../../functions/domain/store/table-keys.js";

describe("table keys", () => {
  it("spells every item's key as the data model in docs/design.md says", () => {
    // Prepare / Act / Assess: the keys are data already written to tables, so their spelling is the contract.
    expect(profileKey("c-1")).toEqual({ PK: "CONTACT#c-1", SK: "PROFILE" });
    expect(scoresKey("c-1")).toEqual({ PK: "CONTACT#c-1", SK: "SCORES" });
    expect(membershipsKey("c-1")).toEqual({ PK: "CONTACT#c-1", SK: "MEMBERSHIPS" });
    expect(orderKey("c-1", "1001")).toEqual({ PK: "CONTACT#c-1", SK: "ORDER#1001" });
    expect(emailEventKey("c-1", "2024-05-31T14:03:00.000Z", "opened", "e-1")).toEqual({ PK: "CONTACT#c-1", SK: "EVENT#2024-05-31T14:03:00.000Z#opened#e-1" });
    expect(emailEventKey("c-1", "2024-05-31T14:03:00.000Z", "opened")).toEqual({ PK: "CONTACT#c-1", SK: "EVENT#2024-05-31T14:03:00.000Z#opened" });
    expect(sendKey("c-1", "k")).toEqual({ PK: "CONTACT#c-1", SK: "SEND#k" });
    expect(segmentDefinitionKey("lapsed")).toEqual({ PK: "SEGMENTS", SK: "DEFINITION#lapsed" });
    expect(segmentMemberKey("lapsed", "c-1")).toEqual({ PK: "SEGMENT#lapsed", SK: "CONTACT#c-1" });
    expect(enrolmentKey("win-back", "c-1")).toEqual({ PK: "WORKFLOW#win-back", SK: "CONTACT#c-1" });
    expect(modelRunKey("run-1")).toEqual({ PK: "MODELRUN", SK: "run-1" });
    expect(couponSetListingKey("s")).toEqual({ PK: "COUPONSETS", SK: "SET#s" });
    expect(couponSetMetaKey("s")).toEqual({ PK: "COUPONSET#s", SK: "META" });
    expect(couponCodeKey("s", "AB12")).toEqual({ PK: "COUPONSET#s", SK: "CODE#AB12" });
    expect(couponAssignedKey("s", "c-1")).toEqual({ PK: "COUPONSET#s", SK: "ASSIGNED#c-1" });
    expect(couponSlotKey("s", 42)).toEqual({ PK: "COUPONSET#s", SK: "SLOT#0000000042" });
    expect(suppressionKey("ab12")).toEqual({ PK: "SUPPRESSION#ab12", SK: "ADDRESS" });
    expect([countedAttribute("1001"), removedAttribute("1001")]).toEqual(["o#1001", "x#1001"]);
  });

  it("parses keys back to their ids, and names a key that is not of the kind asked for", () => {
    // Prepare
    const member = segmentMemberKey("lapsed", "c-1");
    // Act / Assess
    expect(segmentIdOf(member.PK)).toBe("lapsed");
    expect(contactIdOf(member.SK)).toBe("c-1");
    expect(contactIdOf(profileKey("a:b").PK)).toBe("a:b");
    expect(() => contactIdOf("SEGMENTS")).toThrow(/"SEGMENTS" is not a contact key/);
    expect(() => contactIdOf("CONTACT#")).toThrow(/not a contact key/);
    expect(() => segmentIdOf("CONTACT#c-1")).toThrow(/not a segment key/);
    expect(summaryAttributeOf("o#1001")).toEqual({ kind: "counted", key: "1001" });
    expect(summaryAttributeOf("x#1001")).toEqual({ kind: "removed", key: "1001" });
    expect(summaryAttributeOf("orderCount")).toBeUndefined();
  });

  it("gives each order id its own claim slot, sharing an item only with ids that differ in a last letter or digit", () => {
    // Prepare
    const ids = ["536365", "536366", "53636", "5363", "5363X", "53", "5", "C536365", "a/1", "a/", "a", "a_", "ab_", "ab", "x y", "é", "a/\u00e9"];
    // Act
    const places = ids.map((id) => `${orderClaimKey(id).PK}|${orderClaimKey(id).SK}|${orderClaimSlot(id)}`);
    // Assess
    expect(orderClaimKey("536365")).toEqual({ PK: "ORDERIDS#5363", SK: "CLAIMS" });
    expect(orderClaimSlot("536365")).toBe("d#65");
    expect([orderClaimKey("5363X"), orderClaimSlot("5363X")]).toEqual([{ PK: "ORDERIDS#5363", SK: "CLAIMS" }, "c#X"]);
    expect(orderClaimKey("536399")).toEqual(orderClaimKey("536300"));
    expect(orderClaimKey("536366")).toEqual(orderClaimKey("536365"));
    expect([orderClaimKey("a/"), orderClaimSlot("a/")]).toEqual([{ PK: "ORDERIDS#a/", SK: "CLAIMS" }, "c#_"]);
    expect(new Set(places).size).toBe(ids.length);
  });
});
