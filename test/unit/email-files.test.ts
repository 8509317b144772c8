import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseHTML } from "linkedom";
import { afterAll, describe, expect, it } from "vitest";
import { EmailFilesError, emailsDir, emailTemplate, emailTemplateNames, loadEmailTemplates } from "../../functions/adapters/files/email-files.js";
import { MissingVariableError, renderTemplate, TemplateError, type EmailTemplate } from "../../functions/domain/email/template.js";

const root = mkdtempSync(join(tmpdir(), "emails-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;

/** A folder of e-mails: each entry's three parts (and email.json when given), plus the shipped layout. */
function emailsWith(emails: Record<string, { subject?: string; html?: string; text?: string; json?: unknown }>): string {
  const dir = join(root, `set-${++folders}`);
  mkdirSync(join(dir, "_layouts"), { recursive: true });
  writeFileSync(join(dir, "_layouts", "frame.liquid"), "<html>{{ storeName }}{% block content %}{% endblock %}<a href=\"{{ unsubscribeUrl }}\">Unsubscribe</a></html>");
  for (const [name, e] of Object.entries(emails)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, "subject.liquid"), e.subject ?? "Hello {{ firstName }}\n");
    writeFileSync(join(dir, name, "html.liquid"), e.html ?? '{% layout "frame" %}{% block content %}<p>Hi {{ firstName }}</p>{% endblock %}');
    writeFileSync(join(dir, name, "text.liquid"), e.text ?? "Hi {{ firstName }}\nUnsubscribe: {{ unsubscribeUrl }}\n");
    if (e.json !== undefined) writeFileSync(join(dir, name, "email.json"), typeof e.json === "string" ? e.json : JSON.stringify(e.json));
  }
  return dir;
}

const problemsOf = (dir: string): string[] => {
  try {
    loadEmailTemplates(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(EmailFilesError);
    return (error as Error).message.split("\n");
  }
  throw new Error("the e-mails were accepted");
};

describe("e-mails as files", () => {
  it("ships the four workflow e-mails, each checked when it loads", () => {
    // Act and assess
    expect(emailTemplateNames()).toEqual(["reactivation-coupon", "reactivation-reminder", "win-back-coupon", "win-back-reminder"]);
    expect(emailTemplate("win-back-coupon")).toMatchObject({ id: "win-back-coupon", type: "newsletter", locale: "en-GB", fallbacks: { firstName: "there" } });
    expect(() => emailTemplate("birthday")).toThrow('no e-mail template "birthday"; known: reactivation-coupon, reactivation-reminder, win-back-coupon, win-back-reminder');
  });

  it("names the template, the file, the line and the variables there are for a misspelt variable", () => {
    // Prepare
    const dir = emailsWith({ typo: { html: '{% layout "frame" %}\n{% block content %}\n<p>Hi {{ firstNmae }}</p>{% endblock %}' } });
    // Act, Assess
    expect(problemsOf(dir)).toEqual([
      `e-mail template "typo" ${join(dir, "typo", "html.liquid")} line 3: unknown variable {{firstNmae}}; the variables there are: firstName, storeName, storeUrl, couponCode, couponExpiry, couponUrl, unsubscribeUrl`,
    ]);
  });

  it("names the line of broken Liquid, an unknown filter, a missing part, a bad email.json, and a newsletter without an unsubscribe link", () => {
    // Prepare
    const dir = emailsWith({
      a: { text: "Hi\n{% if firstName %}{{ firstName }}\nUnsubscribe: {{ unsubscribeUrl }}" },
      b: { subject: "{{ storeName | shout }}" },
      c: { json: { type: "newsletter", locale: "en-GB", fallbacks: { lastName: "x" } } },
      d: { text: "Hi {{ firstName }}" },
      e: { json: "{ nope" },
    });
    // Act
    const lines = problemsOf(dir);
    // Assess
    expect(lines[0]).toBe(`e-mail template "a" ${join(dir, "a", "text.liquid")} line 2: tag {% if firstName %} not closed`);
    expect(lines[1]).toBe(`e-mail template "b" ${join(dir, "b", "subject.liquid")} line 1: undefined filter: shout`);
    expect(lines[2]).toBe(`${join(dir, "c", "email.json")}: field "fallbacks": Unrecognized key: "lastName"`);
    expect(lines[3]).toBe(`e-mail template "d" ${join(dir, "d", "text.liquid")}: a newsletter must link to {{ unsubscribeUrl }} (the layout "newsletter" does it for the HTML)`);
    expect(lines[4]).toMatch(/e\/email\.json: is not JSON/);
  });

  it("finds the e-mails next to the code in a Lambda (copied into the bundle), or where EMAILS_DIR says", () => {
    // Act and assess
    expect(emailsDir({ LAMBDA_TASK_ROOT: "/var/task" })).toBe("/var/task/emails");
    expect(emailsDir({ EMAILS_DIR: "/srv/emails", LAMBDA_TASK_ROOT: "/var/task" })).toBe("/srv/emails");
  });
});

describe("rendering Liquid", () => {
  const template: EmailTemplate = { id: "t", type: "newsletter", locale: "en-GB", subject: "Hi {{firstName}}", html: "<p>Hello {{ firstName }}</p>", text: "Hello {{firstName}}" };

  it("escapes every output of the HTML by default; | raw outputs a trusted value as it is; subject and text are plain", () => {
    // Prepare
    const t: EmailTemplate = { ...template, html: '<p>{{ firstName }}</p><a href="{{ couponUrl }}">go</a>{{ storeName | raw }}' };
    // Act
    const email = renderTemplate(t, { firstName: `<script>alert("x")</script> & 'y'`, couponUrl: "https://shop.example/d/A?x=1&y=2", storeName: "<b>Shop</b>" });
    // Assess
    expect(email.html).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</p><a href="https://shop.example/d/A?x=1&amp;y=2">go</a><b>Shop</b>');
    expect(parseHTML(email.html).document.querySelector("script")).toBeNull();
    expect(parseHTML(email.html).document.querySelector("a")!.getAttribute("href")).toBe("https://shop.example/d/A?x=1&y=2");
    expect(email.text).toBe(`Hello <script>alert("x")</script> & 'y'`);
  });

  it("falls back with | default: in the template, or with the fallbacks of email.json; a hole without either is an error", () => {
    // Prepare
    const withDefault: EmailTemplate = { ...template, text: 'Hello {{ firstName | default: "friend" }}', subject: "Hi", html: "<p>{% if firstName %}{{ firstName }}{% else %}there{% endif %}</p>" };
    // Act and assess
    expect(renderTemplate(withDefault, {})).toEqual({ subject: "Hi", html: "<p>there</p>", text: "Hello friend" });
    expect(renderTemplate({ ...template, fallbacks: { firstName: "there" } }, { firstName: " " }).text).toBe("Hello there");
    expect(() => renderTemplate(template, {})).toThrowError(MissingVariableError);
    expect(() => renderTemplate({ ...template, html: "<p>{{ firstName }} {{ couponCode }}</p>" }, { firstName: "Ann" })).toThrowError('template "t": no value for {{couponCode}}');
  });

  it("refuses an unknown variable when the template is first used, naming the part and the line", () => {
    // Act and assess
    expect(() => renderTemplate({ ...template, text: "Hi\n\n{{ lastName }}" }, { firstName: "A" })).toThrowError('e-mail template "t" text line 3: unknown variable {{lastName}}');
    expect(() => renderTemplate({ ...template, html: "<p>{{firstName}</p>" }, { firstName: "A" })).toThrowError(TemplateError);
  });
});
