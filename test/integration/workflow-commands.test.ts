import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CouponStore } from "../../functions/adapters/dynamodb/coupon-store.js";
import { shippedWorkflow } from "../../functions/adapters/files/workflow-files.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";
import { clv } from "../support/clv.js";

describe("clv workflows run / status / list", () => {
  let local: LocalStore;
  beforeAll(async () => {
    local = await openLocalStore({ tableName: "workflow-cli" });
  });
  afterAll(async () => {
    await local?.close();
  });

  it("enrols the segment's members, runs their executions locally and shows the funnel", async () => {
    const w = shippedWorkflow("low-clv-reactivation");
    const coupons = new CouponStore(local.client, local.tableName);
    await coupons.createCouponSet({ id: w.couponSetId, expiresAt: "2024-07-31T23:59:59Z" });
    await coupons.importCodes(w.couponSetId, ["C-1", "C-2", "C-3"]);
    for (const id of ["ann", "ben"]) await local.store.putContact(id, { email: `${id}@example.com`, subscription: "subscribed", consentAt: "2024-01-01T00:00:00Z" });
    await local.store.applyMembershipChanges(w.segmentId, { entered: [{ contactId: "ann", enteredAt: "2024-06-01T00:00:00Z" }, { contactId: "ben", enteredAt: "2024-06-01T00:00:00Z" }], left: [], stayed: 0 });
    const target = ["--endpoint", local.endpoint, "--table", local.tableName];

    const run = await clv("workflows", "run", w.id, "--as-of", "2024-06-07", ...target);
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.stdout).toContain("2 enrolled now (0 enrolled before); 0 executions failed");
    expect(run.stdout).toMatch(/reminded\s+2/);

    const again = await clv("workflows", "run", w.id, "--as-of", "2024-06-08", ...target);
    expect(again.stdout).toContain("0 enrolled now (2 enrolled before)");

    const status = JSON.parse((await clv("workflows", "status", w.id, ...target)).stdout) as { funnel: { enrolled: number; couponsAssigned: number }; outcomes: Record<string, number> };
    expect(status.funnel).toMatchObject({ enrolled: 2, couponsAssigned: 2 });
    expect(status.outcomes).toEqual({ reminded: 2 });
    expect((await clv("workflows", "list", ...target)).stdout).toMatch(/low-clv-reactivation\s+segment low-clv, coupons low-clv-comeback \(1 left\)/);
  });

  it("runs Win-Back by its own id, holds out its control group, and lists each workflow once with its own funnel", async () => {
    // Prepare: "una" falls in Win-Back's 10 % (a stable hash of workflow and contact).
    const coupons = new CouponStore(local.client, local.tableName);
    await coupons.createCouponSet({ id: "win-back-thanks", expiresAt: "2024-07-31T23:59:59Z" });
    await coupons.importCodes("win-back-thanks", ["W-1", "W-2", "W-3"]);
    for (const id of ["una", "vic"]) await local.store.putContact(id, { email: `${id}@example.com`, subscription: "subscribed", consentAt: "2024-01-01T00:00:00Z" });
    await local.store.applyMembershipChanges("win-back", { entered: ["una", "vic"].map((contactId) => ({ contactId, enteredAt: "2024-06-01T00:00:00Z" })), left: [], stayed: 0 });
    const target = ["--endpoint", local.endpoint, "--table", local.tableName];

    // Act
    const run = await clv("workflows", "run", "win-back", "--as-of", "2024-06-07", ...target);
    const status = JSON.parse((await clv("workflows", "status", "win-back", ...target)).stdout) as { funnel: { enrolled: number; heldOut: number; emailsSent: number; lift: { heldOut: { contacts: number } } }; outcomes: Record<string, number> };
    const list = (await clv("workflows", "list", ...target)).stdout.trim().split("\n");
    const unknown = await clv("workflows", "run", "vip", ...target);

    // Assess
    expect(run.stdout).toContain("2 enrolled now (0 enrolled before); 0 executions failed");
    expect(run.stdout).toMatch(/held out \(control group\)\s+1 \(50 %\)/);
    expect(status.funnel).toMatchObject({ enrolled: 2, heldOut: 1, emailsSent: 1, lift: { heldOut: { contacts: 1 } } });
    expect(status.outcomes).toEqual({ "held-out": 1, reminded: 1 });
    expect((await local.store.getEnrolment("win-back", "una"))?.couponCode).toBeUndefined();
    expect(list.map((line) => line.split(/\s+/)[0])).toEqual(["low-clv-reactivation", "low-clv-relative-reactivation", "win-back"]);
    expect(list[0]).toMatch(/2 enrolled, 0 held out, 2 mailed/);
    expect(list[2]).toMatch(/2 enrolled, 1 held out, 1 mailed/);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no workflow "vip"; the workflow files define: low-clv-reactivation, low-clv-relative-reactivation, win-back');
  });

  it("validate checks the files against the table's segments and coupon sets, naming the file and the field", async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "workflow-files-"));
    const base = { name: "VIP", segment: "low-clv", couponSet: "low-clv-comeback", emails: { coupon: "reactivation-coupon", reminder: "reactivation-reminder" }, wait: "7 days" };
    writeFileSync(join(dir, "a.json"), JSON.stringify({ ...base, id: "vip" }));
    writeFileSync(join(dir, "b.json"), JSON.stringify({ ...base, id: "vip", couponSet: "no-such-set", wait: "20 minutes" }));
    const target = ["--endpoint", local.endpoint, "--table", local.tableName, "--workflows", dir];

    // Act
    const bad = await clv("workflows", "validate", ...target);
    writeFileSync(join(dir, "b.json"), JSON.stringify({ ...base, id: "vip-2" }));
    const good = await clv("workflows", "validate", ...target);
    const offline = await clv("workflows", "validate", "--offline", "--workflows", dir);
    const shipped = await clv("workflows", "validate", ...target.slice(0, 4));

    // Assess
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`field "wait": must be at least 1 hour, got "20 minutes"`);
    expect(bad.stderr).toContain(`b.json: field "couponSet": no coupon set "no-such-set"; known: low-clv-comeback, win-back-thanks`);
    expect(good.status).toBe(0);
    expect(good.stdout).toContain("2 workflows valid");
    expect(offline.stdout).toContain("2 workflows valid");
    // The table lacks the shipped demo workflow's coupon set.
    expect(shipped.stderr).toContain('low-clv-relative-reactivation.json: field "couponSet": no coupon set "low-clv-relative-comeback"');
    rmSync(dir, { recursive: true, force: true });
  });
});
