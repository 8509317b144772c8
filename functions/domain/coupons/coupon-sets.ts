import type { CouponOutcome } from "./coupon-assignment.js";
import type { CouponSetDefinition } from "./coupon-set.js";
import type { CouponStock } from "./coupon-stock.js";

/** What adding codes to a set did. */
export interface CodeImport {
  /** Codes new to the set, now in its stock. */
  imported: number;
  /** Codes the set had already (a re-imported file), or given twice in the same call. */
  duplicates: number;
}

/** The coupon sets, as the workflow, the API and the CLI need them (DynamoDB implements it: CouponStore). */
export interface CouponSets {
  /** Creates the set, or changes its name, expiry and threshold; its codes are kept. */
  createCouponSet(definition: CouponSetDefinition): Promise<"created" | "updated">;
  /** Adds codes to the set's stock; codes it has already are skipped, so importing a file again is safe. */
  importCodes(setId: string, codes: readonly string[]): Promise<CodeImport>;
  /** The contact's code from the set: the same one every time it asks, never one another contact got. */
  assignCoupon(setId: string, contactId: string, now: number): Promise<CouponOutcome>;
  couponStock(setId: string): Promise<CouponStock | undefined>;
  listCouponSets(): Promise<CouponStock[]>;
}

export class NoSuchCouponSetError extends Error {
  constructor(readonly setId: string) {
    super(`there is no coupon set "${setId}": create it first (give an expiry date)`);
    this.name = "NoSuchCouponSetError";
  }
}

/** Two imports into one set at once would number their codes alike; the second waits for the first. */
export class CouponImportBusyError extends Error {
  constructor(
    readonly setId: string,
    readonly until: string,
  ) {
    super(`another import into coupon set "${setId}" is running (its lease runs until ${until}); try again when it has finished`);
    this.name = "CouponImportBusyError";
  }
}
