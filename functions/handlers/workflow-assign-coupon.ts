import { z } from "zod";
import { serviceLogger } from "../adapters/logging/logger.js";
import { putMetrics } from "../adapters/logging/metrics.js";
import type { CouponOutcome } from "../domain/coupons/coupon-assignment.js";
import { assignCouponStep } from "../domain/workflows/workflow-steps.js";
import { parseEvent } from "./events.js";
import { lambdaHandler } from "./runtime.js";
import { workflowStepDependencies, type WorkflowStepDependencies } from "./workflow-runtime.js";

export const AssignCouponRequest = z.strictObject({ workflowId: z.string().min(1), couponSetId: z.string().min(1), contactId: z.string().min(1) });

const logger = serviceLogger("workflow-assign-coupon");

/** Task "Assign coupon"; after a code is taken (or none was left), the set's stock goes to the metrics. */
export const assignCouponTask =
  (deps: Pick<WorkflowStepDependencies, "coupons" | "enrolments" | "clock">) =>
  async (event: unknown): Promise<CouponOutcome> => {
    const request = parseEvent(AssignCouponRequest, event, "assign coupon request");
    const outcome = await assignCouponStep(request, deps, deps.clock());
    const tookStock = (outcome.status === "assigned" && !outcome.alreadyAssigned) || outcome.status === "out-of-stock";
    if (tookStock) await reportStock(deps.coupons, request.couponSetId, outcome);
    return outcome;
  };

/**
 * Coupons left in the set, and a low-stock mark for the alarm: as the claim left them when the store
 * says (no second read), else read; a failed read costs a metric, never the step.
 */
async function reportStock(coupons: WorkflowStepDependencies["coupons"], couponSetId: string, outcome: CouponOutcome): Promise<void> {
  try {
    const stock = coupons.stockAfter?.(outcome) ?? (await coupons.couponStock(couponSetId));
    if (!stock) return;
    putMetrics({ CouponsLeft: stock.stock }, { dimensions: { CouponSetId: couponSetId } });
    if (stock.low) {
      putMetrics({ CouponStockLow: 1 }, { properties: { couponSetId, stock: stock.stock, lowStockThreshold: stock.lowStockThreshold } });
      logger.info("coupon set is low on codes", { couponSetId, stock: stock.stock, lowStockThreshold: stock.lowStockThreshold });
    }
  } catch (error) {
    logger.warn("could not read the coupon set's stock for its metric", { couponSetId, error });
  }
}

export const handler = lambdaHandler(logger, () => assignCouponTask(workflowStepDependencies()));
