import { describe, expect, it } from "vitest";
import { assignmentStep, describeOutcome } from "../../functions/domain/coupons/coupon-assignment.js";
import { CouponCodeRow, couponCodesBody, couponSetInput, parseExpiry } from "../../functions/domain/coupons/coupon-set.js";
import { couponStock, isLowStock, stockOf, type CouponSetState } from "../../functions/domain/coupons/coupon-stock.js";
import { rowErrors } from "../../functions/domain/input/row-errors.js";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const clock = () => NOW;

const set = (overrides: Partial<CouponSetState> = {}): CouponSetState => ({
  id: "win-back",
  name: "Win-back 15 %",
  expiresAt: "2024-07-01T00:00:00.000Z",
  lowStockThreshold: 100,
  codes: 1000,
  claimed: 0,
  returned: 0,
  ...overrides,
});

/** The messages of a failed parse, as "path: message". */
function issues(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }): string[] {
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => `${i.path.map(String).join(".")}: ${i.message}`);
}

describe("expiry", () => {
  it("reads a date as valid through that day (UTC), and a time as that instant", () => {
    // Act and assess
    expect(new Date(parseExpiry("2024-12-31")).toISOString()).toBe("2025-01-01T00:00:00.000Z");
    expect(new Date(parseExpiry("2024-12-31T23:00:00+02:00")).toISOString()).toBe("2024-12-31T21:00:00.000Z");
  });

  it("refuses dates that do not exist, times without a zone, and text", () => {
    // Act and assess
    // Date.parse would roll 2024-02-30 over to March 1st.
    for (const text of ["2024-02-30", "2023-02-29", "2024-13-01", "2024-12-31 10:00", "2024-12-31T10:00", "next month", ""]) {
      expect(parseExpiry(text), text).toBeNaN();
    }
    expect(parseExpiry("2024-02-29")).toBe(Date.parse("2024-03-01T00:00:00Z"));
  });

  it("refuses a set whose expiry is already past, naming the field", () => {
    // Act and assess
    expect(issues(couponSetInput(clock).safeParse({ id: "win-back", expiresAt: "2024-06-01T12:00:00Z" }))).toEqual([
      "expiresAt: is in the past (2024-06-01T12:00:00.000Z): the set's codes could never be handed out",
    ]);
    expect(couponSetInput(clock).parse({ id: "win-back", expiresAt: "2024-06-01" })).toEqual({ id: "win-back", expiresAt: "2024-06-02T00:00:00.000Z" });
  });
});

describe("a coupon set's definition", () => {
  it("names each bad field", () => {
    // Act and assess
    expect(issues(couponSetInput(clock).safeParse({ id: "win#back", expiresAt: "soon", lowStockThreshold: 2.5, colour: "red" }))).toEqual([
      'id: must be letters, digits, \'.\', \'_\' or \'-\'',
      'expiresAt: expected a date like 2024-12-31 (valid through that day, UTC) or a time like 2024-12-31T23:59:59Z, got "soon"',
      "lowStockThreshold: must be a whole number",
      ': Unrecognized key: "colour"',
    ]);
    expect(issues(couponSetInput(clock).safeParse({ id: "", expiresAt: "2024-12-31", lowStockThreshold: -1 }))).toEqual([
      "id: is empty",
      "lowStockThreshold: must not be negative",
    ]);
  });
});

describe("a codes CSV row", () => {
  it("keeps the code as given (case and all) and ignores other columns", () => {
    // Act and assess
    expect(CouponCodeRow.parse({ code: " Wb-7xQ ", note: "anything" })).toEqual({ code: "Wb-7xQ" });
  });

  it("reports a bad code as `row N: field \"code\": …`", () => {
    // Prepare
    const cases: [Record<string, string>, string][] = [
      [{ code: "   " }, "is empty"],
      [{ code: "WB 0003" }, "contains spaces or control characters"],
      [{ code: "WB\u00070003" }, "contains spaces or control characters"],
      [{ code: "x".repeat(65) }, "is longer than 64 characters"],
      [{ note: "no code column" }, "is missing"],
    ];
    // Act and assess
    for (const [record, message] of cases) {
      const parsed = CouponCodeRow.safeParse(record);
      expect(parsed.success).toBe(false);
      expect(rowErrors(parsed.error!, 7)).toEqual([{ row: 7, field: "code", message }]);
    }
  });
});

describe("POST /coupon-sets/{id}/codes body", () => {
  it("names the bad code by its place in the array", () => {
    // Act and assess
    expect(issues(couponCodesBody(clock).safeParse({ expiresAt: "2024-12-31", codes: ["A-1", "A 2", 3] }))).toEqual([
      "codes.1: contains spaces or control characters",
      "codes.2: is missing",
    ]);
    expect(issues(couponCodesBody(clock).safeParse({ expiresAt: "2024-12-31", codes: [] }))).toEqual(["codes: needs at least one code"]);
    expect(issues(couponCodesBody(clock).safeParse({ codes: ["A-1"] }))).toEqual(["expiresAt: is missing"]);
  });
});

describe("stock", () => {
  it("is codes not yet claimed plus codes given back", () => {
    // Act and assess
    expect(stockOf({ codes: 1000, claimed: 0, returned: 0 })).toBe(1000);
    expect(stockOf({ codes: 1000, claimed: 990, returned: 3 })).toBe(13);
    expect(stockOf({ codes: 1000, claimed: 1000, returned: 0 })).toBe(0);
  });

  it("is low from the threshold down, the threshold itself included", () => {
    // Act and assess
    expect(isLowStock(101, 100)).toBe(false);
    expect(isLowStock(100, 100)).toBe(true);
    expect(isLowStock(0, 0)).toBe(true);
    expect(isLowStock(1, 0)).toBe(false);
  });

  it("gives an alarm what it needs: stock, low, expired", () => {
    // Act and assess
    expect(couponStock(set({ claimed: 905, returned: 2 }), NOW)).toEqual({
      setId: "win-back",
      name: "Win-back 15 %",
      expiresAt: "2024-07-01T00:00:00.000Z",
      expired: false,
      codes: 1000,
      assigned: 903,
      stock: 97,
      lowStockThreshold: 100,
      low: true,
    });
    expect(couponStock(set(), Date.parse("2024-07-01T00:00:00Z")).expired).toBe(true);
  });
});

describe("assignment step", () => {
  it("claims a code only for a contact without one, in a live set with stock", () => {
    // Act and assess
    expect(assignmentStep(set(), undefined, NOW)).toEqual({ status: "claim" });
    expect(assignmentStep(set({ claimed: 1000, returned: 1 }), undefined, NOW)).toEqual({ status: "claim" });
  });

  it("gives a contact the code it has, even from a set now out of stock", () => {
    // Act and assess
    expect(assignmentStep(set({ claimed: 1000 }), "WB-7", NOW)).toEqual({ status: "assigned", code: "WB-7", expiresAt: "2024-07-01T00:00:00.000Z", alreadyAssigned: true });
  });

  it("answers out of stock, expired (from the expiry instant on, even with a code) and no such set", () => {
    // Act and assess
    expect(assignmentStep(set({ claimed: 1000 }), undefined, NOW)).toEqual({ status: "out-of-stock" });
    expect(assignmentStep(set(), undefined, Date.parse("2024-07-01T00:00:00Z"))).toEqual({ status: "expired" });
    expect(assignmentStep(set(), "WB-7", Date.parse("2024-07-01T00:00:00Z"))).toEqual({ status: "expired" });
    expect(assignmentStep(set(), undefined, Date.parse("2024-06-30T23:59:59.999Z"))).toEqual({ status: "claim" });
    expect(assignmentStep(undefined, undefined, NOW)).toEqual({ status: "no-such-set" });
  });

  it("says each outcome so a person knows what to do", () => {
    // Act and assess
    expect(describeOutcome("win-back", "ann", { status: "out-of-stock" })).toBe("ann: coupon set win-back is out of stock: import more codes (clv coupons import win-back FILE)");
    expect(describeOutcome("win-back", "ann", { status: "assigned", code: "WB-7", expiresAt: "2024-07-01T00:00:00.000Z", alreadyAssigned: true })).toBe(
      "ann: WB-7 from win-back (assigned before), valid until 2024-07-01T00:00:00.000Z",
    );
  });
});
