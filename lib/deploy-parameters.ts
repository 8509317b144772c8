import { z } from "zod";
import type { ClvStackProps } from "./clv-stack.js";
import { parseCalendarTime } from "../functions/domain/input/calendar-time.js";
import { isCurrency } from "../functions/domain/store/money.js";

const optionalText = z.string().trim().min(1).optional();

/**
 * The deployment's parameters, read from CDK context (`cdk deploy -c storeName="My Shop" …`, or the
 * "context" of cdk.json), checked before anything is synthesized: a bad value stops `cdk synth` with
 * the parameter's name rather than deploying a stack that mails from nowhere. README, "Deploy to AWS".
 */
export const DeployParameters = z.object({
  /** Comma-separated SHA-256 hashes of the API keys (`npm run -s clv -- api-key` makes a key and its hash). */
  apiKeyHashes: z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(",")
        .map((h) => h.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[0-9a-f]{64}$/, "must be SHA-256 hex digests, comma-separated"))),
  /** Comma-separated ids of segments defined in the table that workflow files name (beyond the built-in templates). */
  segments: z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(",")
        .map((id) => id.trim())
        .filter(Boolean),
    ),
  storeName: optionalText,
  storeUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  couponUrl: z.string().refine((s) => s.includes("{code}"), "must contain {code} where the coupon code goes").optional(),
  /** The verified SES identity mail is sent as: a domain (shop.example) or one address. */
  senderIdentity: optionalText,
  /** The From of the mail: "Shop <hello@shop.example>", an address of the identity. */
  senderAddress: optionalText,
  timeZone: z
    .string()
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, "is not an IANA time zone (Europe/Madrid, America/New_York, …)")
    .optional(),
  nightlyHour: z.coerce.number().int().min(0).max(23).optional(),
  /** The ISO 4217 currency the store counts in (GBP, EUR, JPY): every figure is kept and shown in it. */
  storeCurrency: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isCurrency, "is not an ISO 4217 currency code (EUR, GBP, JPY, …)")
    .optional(),
  /** YYYY-MM-DD: orders before it are refused as mistakes (default 1995-01-01). */
  earliestOrderDate: z
    .string()
    .refine((s) => { const d = parseCalendarTime(s); return /^\d{4}-\d{2}-\d{2}$/.test(s) && !("error" in d); }, "must be a date YYYY-MM-DD")
    .optional(),
  alarmEmail: z.email({ error: "is not an e-mail address" }).optional(),
});

export type DeployParameterName = keyof z.input<typeof DeployParameters>;
export const DEPLOY_PARAMETER_NAMES = Object.keys(DeployParameters.shape) as DeployParameterName[];

/** The stack's props from a context lookup (`app.node.tryGetContext`); throws naming each bad parameter. */
export function deployParameters(context: (name: DeployParameterName) => unknown): ClvStackProps {
  const parsed = DeployParameters.safeParse(Object.fromEntries(DEPLOY_PARAMETER_NAMES.map((name) => [name, context(name) ?? undefined])));
  if (!parsed.success) throw new Error(`bad deploy parameters: ${parsed.error.issues.map((i) => `-c ${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}
