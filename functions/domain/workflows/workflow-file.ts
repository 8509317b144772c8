import { z } from "zod";
import { DEFAULT_HOLD_OUT_SHARE, WorkflowDefinition } from "./workflow-definition.js";

/**
 * A workflow as a marketer writes it, one JSON file per workflow in `workflows/` (README,
 * "Workflows as files"):
 *
 * ```json
 * { "id": "win-back", "name": "Win-Back", "segment": "win-back", "couponSet": "win-back-gift",
 *   "emails": { "coupon": "win-back-coupon", "reminder": "win-back-reminder" },
 *   "wait": "7 days", "reenrolAfterDays": 90, "holdOut": 0.1 }
 * ```
 */
const WAIT = /^(\d+(?:\.\d+)?)\s*(minutes?|hours?|days?|weeks?)$/i;
const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86_400, week: 604_800 };

const Wait = z
  .string({ error: 'must be a duration such as "7 days" or "36 hours"' })
  .trim()
  .refine((s) => WAIT.test(s), { error: (issue) => `must be a duration such as "7 days" or "36 hours", got ${JSON.stringify(issue.input)}` })
  .transform((s) => {
    const match = WAIT.exec(s);
    return match ? Math.round(Number(match[1]) * UNIT_SECONDS[match[2]!.toLowerCase().replace(/s$/, "")]!) : Number.NaN;
  });

export const WorkflowFile = z.strictObject({
  id: WorkflowDefinition.shape.id,
  name: WorkflowDefinition.shape.name,
  description: WorkflowDefinition.shape.description,
  /** The segment whose members enrol: a built-in segment template or one defined in the store's table. */
  segment: z.string().trim().min(1).max(100),
  /** Enrol every member (after each night) or only contacts who enter the segment later. */
  enrol: z.enum(["all-members", "new-entrants"]).default("all-members"),
  /** The coupon set each contact gets one code of (created with `clv coupons create`). */
  couponSet: z.string().trim().min(1).max(100),
  /** The e-mails, by their folder name in `emails/`. */
  emails: z.strictObject({ coupon: z.string().trim().min(1), reminder: z.string().trim().min(1) }),
  /** The wait between the coupon e-mail and the checks, which is also the window purchases count in. */
  wait: Wait,
  /** Enrol a contact again once this many days have passed; null (default) enrols each contact once. */
  reenrolAfterDays: WorkflowDefinition.shape.reenrolAfterDays,
  /** The share of enrolled contacts held out as the control group (no coupon, no mail): 0 to 0.5. */
  holdOut: z.number().min(0, "must be between 0 and 0.5").max(0.5, "must be between 0 and 0.5").default(DEFAULT_HOLD_OUT_SHARE),
});

/** What a workflow may refer to; a set left out is not checked (its names are only known at run time). */
export interface WorkflowCatalogue {
  templates: ReadonlySet<string>;
  segments?: ReadonlySet<string>;
  couponSets?: ReadonlySet<string>;
}

export interface WorkflowFileProblem {
  file: string;
  field: string;
  message: string;
}

/** One or more workflow files are wrong; the message names each file and field. */
export class WorkflowFileError extends Error {
  constructor(readonly problems: readonly WorkflowFileProblem[]) {
    super(problems.map((p) => `${p.file}: field "${p.field}": ${p.message}`).join("\n"));
    this.name = "WorkflowFileError";
  }
}

const known = (set: ReadonlySet<string>) => (set.size > 0 ? [...set].sort().join(", ") : "none");

/** One file's text as a definition, or its problems. */
export function parseWorkflowFile(file: string, text: string, catalogue: WorkflowCatalogue): { definition?: WorkflowDefinition; problems: WorkflowFileProblem[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problems: [{ file, field: "(file)", message: `is not JSON: ${(error as Error).message}` }] };
  }
  const parsed = WorkflowFile.safeParse(json);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => ({ file, field: i.path.join(".") || "(file)", message: i.message })) };
  const w = parsed.data;
  const problems: WorkflowFileProblem[] = [];
  if (w.wait < 3600) problems.push({ file, field: "wait", message: `must be at least 1 hour, got ${JSON.stringify((json as { wait: string }).wait)}` });
  if (w.wait > 365 * 86_400) problems.push({ file, field: "wait", message: "must be at most 365 days" });
  if (catalogue.segments && !catalogue.segments.has(w.segment)) problems.push({ file, field: "segment", message: `no segment "${w.segment}"; known: ${known(catalogue.segments)}` });
  if (catalogue.couponSets && !catalogue.couponSets.has(w.couponSet))
    problems.push({ file, field: "couponSet", message: `no coupon set "${w.couponSet}"; known: ${known(catalogue.couponSets)} (create it with \`clv coupons create\`)` });
  for (const step of ["coupon", "reminder"] as const) {
    const name = w.emails[step];
    if (!catalogue.templates.has(name)) problems.push({ file, field: `emails.${step}`, message: `no e-mail template "${name}"; known: ${known(catalogue.templates)}` });
  }
  if (problems.length > 0) return { problems };
  const definition = WorkflowDefinition.parse({
    id: w.id,
    name: w.name,
    ...(w.description !== undefined && { description: w.description }),
    segmentId: w.segment,
    dataSource: w.enrol,
    couponSetId: w.couponSet,
    couponEmail: w.emails.coupon,
    reminderEmail: w.emails.reminder,
    waitSeconds: w.wait,
    reenrolAfterDays: w.reenrolAfterDays,
    holdOutShare: w.holdOut,
  });
  return { definition, problems };
}

/**
 * Every workflow file, checked together: each parses, refers to what the catalogue knows, and no two
 * share an id (an id names the state machine, the enrolment records and the execution names).
 * Throws WorkflowFileError with every problem found; returns the definitions in file-name order.
 */
export function parseWorkflowFiles(files: readonly { file: string; text: string }[], catalogue: WorkflowCatalogue): WorkflowDefinition[] {
  const problems: WorkflowFileProblem[] = [];
  const byId = new Map<string, string>();
  const definitions: WorkflowDefinition[] = [];
  for (const { file, text } of [...files].sort((a, b) => a.file.localeCompare(b.file))) {
    const result = parseWorkflowFile(file, text, catalogue);
    problems.push(...result.problems);
    if (!result.definition) continue;
    const first = byId.get(result.definition.id);
    if (first !== undefined) {
      problems.push({ file, field: "id", message: `"${result.definition.id}" is already the id of ${first}; each workflow needs its own` });
      continue;
    }
    byId.set(result.definition.id, file);
    definitions.push(result.definition);
  }
  if (problems.length > 0) throw new WorkflowFileError(problems);
  return definitions;
}
