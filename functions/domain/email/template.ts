import { Drop, Liquid, type Template } from "liquidjs";

/**
 * E-mail templates: subject, HTML and text written in Liquid (LiquidJS, the language of Shopify's
 * themes), one folder per e-mail in `emails/` (functions/adapters/files/email-files.ts). The HTML
 * escapes every output unless it says `| raw`; the subject and the text are plain text.
 *
 * Checked when a template loads: it parses, uses only known filters, and names only the variables
 * below (a typo is an error naming the template, the line and the variables there are). Rendering
 * refuses a mail with a hole in it: printing a variable that has no value, no fallback the template
 * declares (email.json) and no `| default:` is an error naming it, never "Hello ," in someone's
 * inbox; `{% if firstName %}` tests for a value without needing one.
 */

/** Every variable a template may use. */
export const templateVariables = ["firstName", "storeName", "storeUrl", "couponCode", "couponExpiry", "couponUrl", "unsubscribeUrl"] as const;
export type TemplateVariable = (typeof templateVariables)[number];
export type TemplateValues = Partial<Record<TemplateVariable, string>>;

/**
 * Newsletter mail goes only to contacts subscribed when it is sent and carries the one-click
 * unsubscribe headers. It is the only kind the workflows send; a transactional kind would need its
 * own suppression record, since the store's subscription status cannot tell a bounce from an opt-out.
 */
export type EmailType = "newsletter";

export const TEMPLATE_PARTS = ["subject", "html", "text"] as const;
export type TemplatePart = (typeof TEMPLATE_PARTS)[number];

export interface EmailTemplate {
  /** Stable id (its folder's name): it names the e-mail in events and send records. */
  id: string;
  type: EmailType;
  /** BCP 47 locale for dates in the mail ("en-GB": 14 June 2024). */
  locale: string;
  /** Liquid source of each part. */
  subject: string;
  html: string;
  text: string;
  /** Values for variables a contact may lack, e.g. `{ firstName: "there" }` for "Hello there,". */
  fallbacks?: TemplateValues;
  /** Layouts the HTML may extend (`{% layout "newsletter" %}`), by name. */
  layouts?: Readonly<Record<string, string>>;
  /** Where each part came from, for error messages (emails/<id>/html.liquid); the part's name without. */
  files?: Partial<Record<TemplatePart, string>>;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** A template asked for a value nobody gave it. */
export class MissingVariableError extends Error {
  constructor(
    readonly templateId: string,
    readonly variables: readonly string[],
  ) {
    super(`template "${templateId}": no value for ${variables.map((v) => `{{${v}}}`).join(", ")} and the template declares no fallback`);
    this.name = "MissingVariableError";
  }
}

/** A template that cannot be rendered whatever the values: bad Liquid, an unknown filter or variable. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly templateId?: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = "TemplateError";
  }
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const isVariable = (name: string): name is TemplateVariable => (templateVariables as readonly string[]).includes(name);

interface Compiled {
  parts: Record<TemplatePart, Template[]>;
  /** Variables the template uses anywhere. */
  variables: Set<TemplateVariable>;
  /** The variables each part uses, its layout's included. */
  partVariables: Record<TemplatePart, Set<TemplateVariable>>;
  html: Liquid;
  plain: Liquid;
  /** What the last rendering printed without a value (one rendering at a time: rendering is synchronous). */
  missing: Set<TemplateVariable>;
}

const compiled = new WeakMap<EmailTemplate, Compiled>();

/** "(emails/x/html.liquid) line 3" or "html line 3". */
const where = (template: EmailTemplate, part: TemplatePart, file: string | undefined, line: number | undefined) => {
  const name = file && file !== part && !file.endsWith(".liquid") ? `layout "${file}"` : (template.files?.[part] ?? part);
  return `${name}${line !== undefined ? ` line ${line}` : ""}`;
};

/** What a variable without a value is in a rendering: false in `{% if %}`, replaced by `| default:`, an error when printed. */
class MissingValue extends Drop {
  constructor(readonly variable: TemplateVariable) {
    super();
  }
  override valueOf(): null {
    return null;
  }
}

/** Every output of a rendering passes here: a missing value is noted, anything else written out (escaped for HTML). */
function outputOf(missing: Set<TemplateVariable>, escape: (text: string) => string) {
  return (value: unknown): string => {
    if (value instanceof MissingValue) {
      missing.add(value.variable);
      return "";
    }
    return escape(value === null || value === undefined ? "" : String(value));
  };
}

/** Parses and checks a template once; throws TemplateError naming the template, the part and the line. */
export function compileTemplate(template: EmailTemplate): Compiled {
  const cached = compiled.get(template);
  if (cached) return cached;
  // `cache`: a layout the HTML extends is parsed once per engine, not at every rendering (the
  // engine's layouts are this template's own, fixed when it loads).
  const options = { strictVariables: true, strictFilters: true, templates: { ...template.layouts }, extname: "", cache: true } as const;
  const missing = new Set<TemplateVariable>();
  // The HTML escapes every output by default (`| raw` for a trusted value); subject and text are plain text.
  const html = new Liquid({ ...options, outputEscape: outputOf(missing, escapeHtml) });
  const plain = new Liquid({ ...options, outputEscape: outputOf(missing, (text) => text) });
  const parts = {} as Record<TemplatePart, Template[]>;
  const variables = new Set<TemplateVariable>();
  const partVariables = { subject: new Set<TemplateVariable>(), html: new Set<TemplateVariable>(), text: new Set<TemplateVariable>() };
  for (const part of TEMPLATE_PARTS) {
    const engine = part === "html" ? html : plain;
    const file = template.files?.[part] ?? part;
    try {
      parts[part] = engine.parse(template[part], file);
    } catch (error) {
      const line = (error as { token?: { getPosition?: () => [number, number] } }).token?.getPosition?.()[0];
      const message = (error as Error).message.replace(/, file:[^,]*, line:\d+, col:\d+$/, "");
      throw new TemplateError(`e-mail template "${template.id}" ${where(template, part, undefined, line)}: ${message}`, template.id, line);
    }
    const analysis = engine.analyzeSync(parts[part]);
    for (const [name, uses] of Object.entries(analysis.globals)) {
      const use = uses[0]!;
      if (!isVariable(name)) {
        throw new TemplateError(
          `e-mail template "${template.id}" ${where(template, part, use.location.file, use.location.row)}: unknown variable {{${name}}}; the variables there are: ${templateVariables.join(", ")}`,
          template.id,
          use.location.row,
        );
      }
      variables.add(name);
      partVariables[part].add(name);
    }
  }
  const result = { parts, variables, partVariables, html, plain, missing };
  compiled.set(template, result);
  return result;
}

/** The variables a template uses, checked. */
export function placeholdersOf(template: EmailTemplate): Set<TemplateVariable> {
  return new Set(compileTemplate(template).variables);
}

/**
 * Renders the three parts: values HTML-escaped in the HTML (unless the template says `| raw`), the
 * subject on one line. An empty or blank value counts as missing, so the fallback applies to it too.
 */
export function renderTemplate(template: EmailTemplate, values: TemplateValues): RenderedEmail {
  const c = compileTemplate(template);
  const scope: Record<string, string | MissingValue> = {};
  for (const name of templateVariables) {
    const given = values[name];
    const value = given !== undefined && given.trim() !== "" ? given : template.fallbacks?.[name];
    scope[name] = value ?? new MissingValue(name);
  }
  c.missing.clear();
  const rendered = {
    // A header line: line breaks in a value would end it.
    subject: c.plain.renderSync(c.parts.subject, scope).replace(/[\r\n]+/g, " ").trim(),
    html: c.html.renderSync(c.parts.html, scope),
    text: c.plain.renderSync(c.parts.text, scope),
  };
  if (c.missing.size > 0) throw new MissingVariableError(template.id, templateVariables.filter((v) => c.missing.has(v)));
  return rendered;
}
