import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CouponStore } from "../../functions/adapters/dynamodb/coupon-store.js";
import { lowClvReactivation } from "../../functions/domain/workflows/workflow-definition.js";
import { openLocalStore, type LocalStore } from "../../functions/local/local-store.js";

/** The CLI in a child process against this dynalite (asynchronous: dynalite answers from this process). */
function clv(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bin/clv.ts", ...args], { cwd: new URL("../..", import.meta.url).pathname });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("clv workflows run / status / list", () => {
  let local: LocalStore;
  beforeAll(async () => {
    local = await openLocalStore({ tableName: "workflow-cli" });
  });
  afterAll(async () => {
    await local?.close();
  });

  it("enrols the segment's members, runs their executions locally and shows the funnel", async () => {
    const w = lowClvReactivation;
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
});
