import { z } from "zod";
import type { CouponOutcome } from "../domain/coupons/coupon-assignment.js";
import { assignCouponStep } from "../domain/workflows/workflow-steps.js";
import { parseEvent } from "./events.js";
import { lambdaHandler } from "./runtime.js";
import { workflowStepDependencies, type WorkflowStepDependencies } from "./workflow-runtime.js";

export const AssignCouponRequest = z.strictObject({ workflowId: z.string().min(1), couponSetId: z.string().min(1), contactId: z.string().min(1) });

/** Task "Assign coupon". */
export const assignCouponTask =
  (deps: Pick<WorkflowStepDependencies, "coupons" | "enrolments" | "clock">) =>
  async (event: unknown): Promise<CouponOutcome> =>
    assignCouponStep(parseEvent(AssignCouponRequest, event, "assign coupon request"), deps, deps.clock());

export const handler = lambdaHandler(() => assignCouponTask(workflowStepDependencies()));
