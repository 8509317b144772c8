/**
 * E-mail templates: subject, HTML and text with `{{variable}}` placeholders. Rendering refuses to
 * produce a mail with a hole in it: a placeholder without a value (and without a fallback the
 * template declares) is an error naming it, never "Hello {{firstName}}" in someone's inbox.
 */

/** Every variable a template may use; a placeholder naming anything else is an error. */
export const templateVariables = ["firstName", "storeName", "storeUrl", "couponCode", "couponExpiry", "couponUrl", "unsubscribeUrl"] as const;
export type TemplateVariable = (typeof templateVariables)[number];
export type TemplateValues = Partial<Record<TemplateVariable, string>>;

/**
 * Newsletter mail goes only to contacts subscribed when it is sent and carries the one-click
 * unsubscribe headers. It is the only kind the workflows send; a transactional kind would need its
 * own suppression record, since the store's subscription status cannot tell a bounce from an opt-out.
 */
export type EmailType = "newsletter";

export interface EmailTemplate {
  /** Stable id: it names the e-mail in events and send records. */
  id: string;
  type: EmailType;
  /** BCP 47 locale for dates in the mail ("en-GB": 14 June 2024). */
  locale: string;
  subject: string;
  html: string;
  text: string;
  /** Values for variables a contact may lack, e.g. `{ firstName: "there" }` for "Hello there,". */
  fallbacks?: TemplateValues;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;
const isVariable = (name: string): name is TemplateVariable => (templateVariables as readonly string[]).includes(name);

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

/** A template that cannot be rendered whatever the values: unknown or malformed placeholders. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** The variables a template's parts use, checked: each is known, and no stray braces are left. */
export function placeholdersOf(template: EmailTemplate): Set<TemplateVariable> {
  const used = new Set<TemplateVariable>();
  for (const part of ["subject", "html", "text"] as const) {
    const source = template[part];
    for (const [, name] of source.matchAll(PLACEHOLDER)) {
      if (!isVariable(name!)) throw new TemplateError(`template "${template.id}" ${part}: unknown variable {{${name}}}; known: ${templateVariables.join(", ")}`);
      used.add(name);
    }
    // "{{ first name }}" or "{{firstName}" would otherwise go out verbatim.
    const rest = source.replace(PLACEHOLDER, "");
    if (rest.includes("{{") || rest.includes("}}")) throw new TemplateError(`template "${template.id}" ${part}: malformed placeholder near "${rest.slice(Math.max(0, rest.search(/\{\{|\}\}/) - 10)).slice(0, 40)}"`);
  }
  return used;
}

/**
 * Fills the placeholders: values HTML-escaped in the HTML part, as they are in the subject and text.
 * An empty or blank value counts as missing, so the fallback applies to it too.
 */
export function renderTemplate(template: EmailTemplate, values: TemplateValues): RenderedEmail {
  const resolved: TemplateValues = {};
  const missing: TemplateVariable[] = [];
  for (const name of placeholdersOf(template)) {
    const given = values[name];
    const value = given !== undefined && given.trim() !== "" ? given : template.fallbacks?.[name];
    if (value === undefined) missing.push(name);
    else resolved[name] = value;
  }
  if (missing.length > 0) throw new MissingVariableError(template.id, missing);
  const fill = (source: string, escape: (s: string) => string) => source.replace(PLACEHOLDER, (_, name: TemplateVariable) => escape(resolved[name]!));
  return {
    // A header line: line breaks in a value would end it.
    subject: fill(template.subject, (s) => s.replace(/[\r\n]+/g, " ")),
    html: fill(template.html, escapeHtml),
    text: fill(template.text, (s) => s),
  };
}
