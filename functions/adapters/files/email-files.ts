import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { repoPath } from "../../local/repo-path.js";
import { z } from "zod";
import { compileTemplate, TEMPLATE_PARTS, TemplateError, templateVariables, type EmailTemplate } from "../../domain/email/template.js";

/**
 * The e-mails as files: `emails/<name>/` holds `subject.liquid`, `html.liquid`, `text.liquid` and
 * an optional `email.json` (type, locale, fallbacks); `emails/_layouts/<name>.liquid` are the frames
 * an HTML part may extend. On AWS the folder is copied into the sending Lambda's bundle
 * (lib/reactivation-workflow.ts), next to its code.
 */
export function emailsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EMAILS_DIR) return env.EMAILS_DIR;
  // In a Lambda the bundle is the task root, and import.meta.url is not there to lean on.
  if (env.LAMBDA_TASK_ROOT) return join(env.LAMBDA_TASK_ROOT, "emails");
  // From source and from the compiled dist/ alike (repo-path.ts).
  return repoPath("emails");
}

const EmailSettingsFile = z.strictObject({
  type: z.literal("newsletter").default("newsletter"),
  locale: z
    .string()
    .default("en-GB")
    .refine((l) => {
      try {
        return Intl.DateTimeFormat.supportedLocalesOf([l]).length > 0;
      } catch {
        return false;
      }
    }, "is not a BCP 47 locale this runtime knows (en-GB, es-ES, …)"),
  fallbacks: z.partialRecord(z.enum(templateVariables), z.string().trim().min(1)).optional(),
});

/** One or more e-mail folders are wrong; the message names each file. */
export class EmailFilesError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "EmailFilesError";
  }
}

const LAYOUTS = "_layouts";
const cache = new Map<string, Map<string, EmailTemplate>>();

/**
 * Every e-mail of the folder, each parsed and checked (Liquid, filters, variables, the unsubscribe
 * link in both parts), once per process. Throws EmailFilesError with every problem found.
 */
export function loadEmailTemplates(dir: string = emailsDir()): Map<string, EmailTemplate> {
  const cached = cache.get(dir);
  if (cached) return cached;
  const shown = (path: string) => {
    const rel = relative(process.cwd(), path);
    return rel.startsWith("..") ? path : rel;
  };
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (error) {
    throw new EmailFilesError([`${dir}: cannot be read: ${(error as Error).message}`]);
  }
  const layouts: Record<string, string> = {};
  if (existsSync(join(dir, LAYOUTS))) {
    for (const file of readdirSync(join(dir, LAYOUTS))) if (file.endsWith(".liquid")) layouts[file.replace(/\.liquid$/, "")] = readFileSync(join(dir, LAYOUTS, file), "utf8");
  }
  const templates = new Map<string, EmailTemplate>();
  const problems: string[] = [];
  for (const name of entries) {
    const folder = join(dir, name);
    if (name.startsWith("_") || name.startsWith(".") || !isDirectory(folder)) continue;
    const missing = TEMPLATE_PARTS.filter((part) => !existsSync(join(folder, `${part}.liquid`)));
    if (missing.length > 0) {
      problems.push(`${shown(folder)}: missing ${missing.map((p) => `${p}.liquid`).join(", ")}`);
      continue;
    }
    let settings: z.output<typeof EmailSettingsFile> = EmailSettingsFile.parse({});
    const settingsFile = join(folder, "email.json");
    if (existsSync(settingsFile)) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(settingsFile, "utf8"));
      } catch (error) {
        problems.push(`${shown(settingsFile)}: is not JSON: ${(error as Error).message}`);
        continue;
      }
      const parsed = EmailSettingsFile.safeParse(json);
      if (!parsed.success) {
        problems.push(...parsed.error.issues.map((i) => `${shown(settingsFile)}: field "${i.path.join(".") || "(file)"}": ${i.message}`));
        continue;
      }
      settings = parsed.data;
    }
    const read = (part: string) => readFileSync(join(folder, `${part}.liquid`), "utf8");
    const template: EmailTemplate = {
      id: name,
      type: settings.type,
      locale: settings.locale,
      ...(settings.fallbacks && { fallbacks: settings.fallbacks }),
      subject: read("subject"),
      html: read("html"),
      text: read("text"),
      layouts,
      files: Object.fromEntries(TEMPLATE_PARTS.map((part) => [part, shown(join(folder, `${part}.liquid`))])),
    };
    try {
      checkEmailTemplate(template);
      templates.set(name, template);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new EmailFilesError(problems);
  cache.set(dir, templates);
  return templates;
}

/** A newsletter must let its reader unsubscribe, in the HTML and in the text. */
export function checkEmailTemplate(template: EmailTemplate): void {
  const { partVariables } = compileTemplate(template);
  if (template.type !== "newsletter") return;
  for (const part of ["html", "text"] as const) {
    if (!partVariables[part].has("unsubscribeUrl")) {
      throw new TemplateError(`e-mail template "${template.id}" ${template.files?.[part] ?? part}: a newsletter must link to {{ unsubscribeUrl }} (the layout "newsletter" does it for the HTML)`, template.id);
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return readdirSync(path) !== undefined;
  } catch {
    return false;
  }
}

/** The e-mails a workflow may send, by name. */
export function emailTemplateNames(dir?: string): string[] {
  return [...loadEmailTemplates(dir).keys()];
}

/** One e-mail by name; an unknown one is an error naming those there are. */
export function emailTemplate(name: string, dir?: string): EmailTemplate {
  const templates = loadEmailTemplates(dir);
  const template = templates.get(name);
  if (!template) throw new Error(`no e-mail template "${name}"; known: ${[...templates.keys()].join(", ") || "none"}`);
  return template;
}
