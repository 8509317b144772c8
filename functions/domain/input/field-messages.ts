/**
 * What a field's type error says: "is missing" when the field is not there, else what was expected
 * and what came ("expected a number, got a string"), since zod's "Invalid input" helps nobody.
 */

/** The kind of a JSON value as a person names it: a string, a number, an array, null. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  // zod's number refuses NaN as of the wrong type: "expected a number, got a number" would puzzle anyone.
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : type === "undefined" ? "nothing" : `a${/^[aeiou]/.test(type) ? "n" : ""} ${type}`;
}

/** A zod `error` option for a field of the given kind: `z.number({ error: expected("a number") })`. */
export function expected(kind: string): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? "is missing" : `expected ${kind}, got ${kindOf(issue.input)}`);
}
