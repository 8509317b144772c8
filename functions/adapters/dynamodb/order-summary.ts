import { NumberValue } from "@aws-sdk/lib-dynamodb";
import type { Order } from "../../domain/clv/order-history.js";
import { SummaryAttribute, contactIdOf, summaryAttributeOf } from "../../domain/store/table-keys.js";

/*
 * The running order summary in a contact's PROFILE item: `o#<key>` = [at, total] for each counted
 * order, `x#<key>` = epoch ms for each order taken out of the figures (cancelled, refunded), and
 * the counters orderCount and revenue. The key is the order id, or a hash of a long one
 * (orderSummaryKey, table-keys.ts); entries written before were {at, total} maps, read alike.
 *
 * The `x#` marks are what keeps an order out once removed. Without them a re-sent "placed" that races
 * a refund could count the order again after the refund took it out (the refund's REMOVE leaves no
 * trace for `attribute_not_exists` to see), and a refund that arrives before its order could not stop
 * the late order from counting. Counting is conditional on neither attribute existing; removing sets
 * the mark in the same UpdateItem. They cost a few bytes per refunded order.
 */

export interface SummaryEntry {
  /** Order time, epoch ms. */
  at: number;
  total: number;
}

/** What a contact's summary says about some of its orders, by orderSummaryKey. */
export interface Summary {
  counted: Map<string, SummaryEntry>;
  /** Orders marked removed. */
  removed: Set<string>;
}

/** An entry as written: a list of two numbers costs the item 8 bytes less than the map {at, total}. */
export const summaryValue = (entry: SummaryEntry): [number, number] => [entry.at, entry.total];

const COUNTED = SummaryAttribute.counted;

/** Appends the counted orders of a PROFILE item (a plain loop: the nightly scan runs it on every contact). */
export function collectOrders(item: Record<string, unknown>, orders: Order[]): void {
  const contactId = contactIdOf(String(item.PK));
  for (const name in item) {
    if (!name.startsWith(COUNTED)) continue;
    const entry = summaryEntry(item[name], contactId, name);
    orders.push({ orderId: name.slice(COUNTED.length), contactId, createdAt: entry.at, total: entry.total });
  }
}

/** The counted and removed orders of a PROFILE item (or of the part of it a projection read). */
export function summaryIn(item: Record<string, unknown>, contactId: string): Summary {
  const counted = new Map<string, SummaryEntry>();
  const removed = new Set<string>();
  for (const name in item) {
    const attribute = summaryAttributeOf(name);
    if (attribute?.kind === "counted") counted.set(attribute.key, summaryEntry(item[name], contactId, name));
    else if (attribute?.kind === "removed") removed.add(attribute.key);
  }
  return { counted, removed };
}

function summaryEntry(value: unknown, contactId: string, name: string): SummaryEntry {
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === "number" && typeof value[1] === "number") return { at: value[0], total: value[1] };
  const entry = value as Partial<SummaryEntry> | undefined;
  if (typeof entry?.at !== "number" || typeof entry.total !== "number") {
    throw new Error(`the summary of contact ${contactId} has a bad entry ${name}: expected [at, total] numbers, got ${JSON.stringify(value)}`);
  }
  return { at: entry.at, total: entry.total };
}

// ---- numbers as DynamoDB adds them ----

/**
 * The exact decimal sum of the totals, for one ADD to `revenue`. DynamoDB adds in decimal; summing the
 * group in binary floating point first would leave revenue at 161.32000000000002 where adding the two
 * orders one by one gives 161.32, and a later refund of each would not bring it back to 0.
 */
export function decimalSum(values: readonly number[]): NumberValue {
  let scale = 0;
  const decimals = values.map((v) => {
    const d = decimalOf(v);
    scale = Math.max(scale, d.scale);
    return d;
  });
  let sum = 0n;
  for (const d of decimals) sum += d.digits * 10n ** BigInt(scale - d.scale);
  const negative = sum < 0n;
  const text = (negative ? -sum : sum).toString().padStart(scale + 1, "0");
  const whole = text.slice(0, text.length - scale);
  const fraction = text.slice(text.length - scale).replace(/0+$/, "");
  return NumberValue.from(`${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`);
}

/** A finite number as digits × 10^−scale, from its shortest decimal form (which is what gets stored). */
function decimalOf(value: number): { digits: bigint; scale: number } {
  const [mantissa = "0", exponent = "0"] = String(value).toLowerCase().split("e");
  const [whole = "0", fraction = ""] = mantissa.split(".");
  const scale = fraction.length - Number(exponent);
  const digits = BigInt(`${whole}${fraction}`);
  return scale >= 0 ? { digits, scale } : { digits: digits * 10n ** BigInt(-scale), scale: 0 };
}
