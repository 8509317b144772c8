import { z } from "zod";
import { rfmGroups } from "../clv/rfm.js";
import { NAMED_FIGURES, NUMERIC_FIGURES, churnBands, type NamedFigure, type NumericFigure } from "../clv/contact-scores.js";
import { subscriptionStatuses, type ContactInput } from "../store/contact.js";

/**
 * A dynamic segment as data: conditions on the contact's profile, on every value indicator and on
 * recent activity, combined with AND/OR groups — what Connectif's "dynamic plus segment" editor and
 * Klaviyo's segment builder let a marketer click together. Parsed with zod, so a bad definition is
 * refused with the path of the bad part (`match.all.1.value: expected a number`).
 */

/** Numeric value indicators a condition can compare: every numeric figure (contact-scores.ts), and the days since the last order. */
export const numericFields: readonly (NumericFigure | "daysSinceLastOrder")[] = [...NUMERIC_FIGURES, "daysSinceLastOrder"];
export type NumericField = (typeof numericFields)[number];

/** Text fields: the profile's and the named indicators. */
export const textFields: readonly ("subscription" | "country" | "email" | "firstName" | NamedFigure)[] = ["subscription", "country", "email", "firstName", ...NAMED_FIGURES];
export type TextField = (typeof textFields)[number];

const allowedText: Partial<Record<TextField, readonly string[]>> = {
  subscription: subscriptionStatuses,
  churnBand: churnBands,
  rfmGroup: rfmGroups,
};

/** A threshold given relative to the store: "below the store's average CLV (12m)" as the Low CLV article means it. */
const RelativeThreshold = z.strictObject({
  storeAverageOf: z.enum(numericFields),
  /** Multiplies the average: 0.5 means half the store's average. */
  times: z.number().positive().default(1),
});
const Threshold = z.union([z.number(), RelativeThreshold], { error: "expected a number or { storeAverageOf, times }" });
export type Threshold = z.output<typeof Threshold>;

const NumericCondition = z.discriminatedUnion("op", [
  z.strictObject({ field: z.enum(numericFields), op: z.enum(["is", "isNot", "lt", "lte", "gt", "gte"]), value: Threshold }),
  z.strictObject({ field: z.enum(numericFields), op: z.literal("isOneOf"), values: z.array(z.number()).min(1, "needs at least one value") }),
  z.strictObject({ field: z.enum(numericFields), op: z.literal("between"), min: Threshold, max: Threshold }),
  z.strictObject({ field: z.enum(numericFields), op: z.literal("isEmpty") }),
]);

const TextCondition = z
  .discriminatedUnion("op", [
    z.strictObject({ field: z.enum(textFields), op: z.enum(["is", "isNot"]), value: z.string() }),
    z.strictObject({ field: z.enum(textFields), op: z.literal("isOneOf"), values: z.array(z.string()).min(1, "needs at least one value") }),
    z.strictObject({ field: z.enum(textFields), op: z.literal("isEmpty") }),
  ])
  .superRefine((c, ctx) => {
    const allowed = allowedText[c.field];
    const given = c.op === "isOneOf" ? c.values : c.op === "isEmpty" ? [] : [c.value];
    for (const value of given) {
      if (allowed && !allowed.includes(value)) ctx.addIssue({ code: "custom", path: [c.op === "isOneOf" ? "values" : "value"], message: `${c.field} is one of ${allowed.join(", ")}; got "${value}"` });
    }
  });

/** "Has an e-mail address", as a condition of its own because it is the one every e-mail audience needs. */
const HasEmailCondition = z.strictObject({ field: z.literal("hasEmail"), op: z.literal("is"), value: z.boolean() });

const ActivityCondition = z.discriminatedUnion("activity", [
  /** Placed N orders in the last D days (op on the count). */
  z.strictObject({
    activity: z.literal("placedOrders"),
    days: z.number().int().positive(),
    op: z.enum(["is", "lt", "lte", "gt", "gte"]),
    value: z.number().int().nonnegative(),
  }),
  z.strictObject({ activity: z.enum(["openedEmail", "clickedEmail"]), days: z.number().int().positive(), negate: z.boolean().default(false) }),
  z.strictObject({ activity: z.literal("receivedEmail"), emailId: z.string().min(1), negate: z.boolean().default(false) }),
]);

export type Condition =
  | z.output<typeof NumericCondition>
  | z.output<typeof TextCondition>
  | z.output<typeof HasEmailCondition>
  | z.output<typeof ActivityCondition>
  | ConditionGroup;
export type ConditionGroup = { all: Condition[] } | { any: Condition[] };

/**
 * A condition is told apart by its keys (a group, an activity, or a field and which kind of field), and
 * then parsed by that kind's schema alone, so an error says what is wrong with it — `field: "ltv" is
 * not a field` — instead of "matches none of five shapes".
 */
const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.unknown().transform((value, ctx): Condition => {
    const shape = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
    const schema: z.ZodType | undefined = !shape
      ? undefined
      : "all" in shape || "any" in shape
        ? GroupSchema
        : "activity" in shape
          ? ActivityCondition
          : shape.field === "hasEmail"
            ? HasEmailCondition
            : (numericFields as readonly unknown[]).includes(shape.field)
              ? NumericCondition
              : (textFields as readonly unknown[]).includes(shape.field)
                ? TextCondition
                : undefined;
    if (!schema) {
      const message =
        shape && "field" in shape
          ? `"${String(shape.field)}" is not a field; the fields are hasEmail, ${[...textFields, ...numericFields].join(", ")}`
          : "expected a condition on a field { field, op, value }, an activity { activity, … }, or a group { all: [...] } / { any: [...] }";
      ctx.addIssue({ code: "custom", message, path: shape && "field" in shape ? ["field"] : [] });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
      return z.NEVER;
    }
    return parsed.data as Condition;
  }),
);
// One object with `all` or `any` (not a union of two), so an error inside a group keeps its path.
const GroupSchema: z.ZodType<ConditionGroup> = z.lazy(() =>
  z
    .strictObject({
      all: z.array(ConditionSchema).min(1, "needs at least one condition").optional(),
      any: z.array(ConditionSchema).min(1, "needs at least one condition").optional(),
    })
    .refine((g) => (g.all === undefined) !== (g.any === undefined), { message: "a group has either all: [...] or any: [...]" })
    .transform((g): ConditionGroup => (g.all ? { all: g.all } : { any: g.any! })),
);

export const SegmentDefinition = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be lower-case letters, digits and dashes, up to 63"),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  match: GroupSchema,
});
export type SegmentDefinition = z.output<typeof SegmentDefinition>;

/** Parses a definition; throws an Error listing each problem with its path. */
export function parseSegmentDefinition(input: unknown): SegmentDefinition {
  const parsed = SegmentDefinition.safeParse(input);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(definition)"}: ${i.message}`).join("\n"));
  return parsed.data;
}

/** A segment id that names no segment; a route answers it with 404. */
export class SegmentNotFoundError extends Error {
  constructor(readonly segmentId: string) {
    super(`no segment "${segmentId}": \`clv segments\` lists them`);
    this.name = "SegmentNotFoundError";
  }
}
