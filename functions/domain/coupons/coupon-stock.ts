/**
 * A set's stock from its counters. The pool is numbered 1, 2, 3, …: `codes` of them imported,
 * `claimed` handed out in order, and `returned` codes given back (claimed by a caller that then lost
 * the race for its contact) waiting to be handed out first.
 */
export interface CouponCounts {
  codes: number;
  claimed: number;
  returned: number;
}

/** A set as stored, with its counters. */
export interface CouponSetState extends CouponCounts {
  id: string;
  name: string;
  /** ISO time. */
  expiresAt: string;
  lowStockThreshold: number;
}

/** What a stock alarm (and `clv coupons status`) needs of a set. */
export interface CouponStock {
  setId: string;
  name: string;
  expiresAt: string;
  expired: boolean;
  /** Codes imported into the set. */
  codes: number;
  /** Codes handed out (to a contact, or lost to a crash between claiming and assigning). */
  assigned: number;
  /** Codes left to hand out. */
  stock: number;
  lowStockThreshold: number;
  /** stock ≤ lowStockThreshold: time to import more codes (or to end the workflow). */
  low: boolean;
}

/** Codes left: never negative, though `claimed` can only reach `codes` anyway (a claim is conditional on it). */
export function stockOf(counts: CouponCounts): number {
  return Math.max(0, counts.codes - counts.claimed) + counts.returned;
}

/** Low from `threshold` codes left down: a threshold of 0 flags an empty set only. */
export function isLowStock(stock: number, threshold: number): boolean {
  return stock <= threshold;
}

/** A set hands out nothing from its expiry on. */
export function isExpired(expiresAt: string, now: number): boolean {
  return now >= Date.parse(expiresAt);
}

export function couponStock(set: CouponSetState, now: number): CouponStock {
  const stock = stockOf(set);
  return {
    setId: set.id,
    name: set.name,
    expiresAt: set.expiresAt,
    expired: isExpired(set.expiresAt, now),
    codes: set.codes,
    assigned: set.claimed - set.returned,
    stock,
    lowStockThreshold: set.lowStockThreshold,
    low: isLowStock(stock, set.lowStockThreshold),
  };
}
