/**
 * DynamoDB's size of an item, for the cost figures: attribute names plus values, a number about one
 * byte per two significant digits plus one, a map or list 3 bytes plus a byte per element (AWS,
 * "DynamoDB item sizes and formats").
 */
export function itemBytes(value: unknown): number {
  if (typeof value === "string") return Buffer.byteLength(value);
  if (typeof value === "number") return Math.ceil(String(value).replace(/[-.]/g, "").replace(/e.*$/, "").length / 2) + 1;
  if (typeof value === "boolean" || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + itemBytes(v), 0);
  if (typeof value === "object") return 3 + Object.entries(value as Record<string, unknown>).reduce((n, [k, v]) => n + Buffer.byteLength(k) + 1 + itemBytes(v), 0);
  return 0;
}
