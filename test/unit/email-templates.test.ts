import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { composeWorkflowEmail, EmailSettings, listUnsubscribeHeaders } from "../../functions/domain/email/send-workflow-email.js";
import { emailTemplate, emailTemplateNames } from "../../functions/adapters/files/email-files.js";
import { MissingVariableError, renderTemplate, TemplateError, type EmailTemplate } from "../../functions/domain/email/template.js";
import { slug, tagLinks } from "../../functions/domain/email/utm-links.js";
import { verifyUnsubscribeToken } from "../../functions/domain/store/unsubscribe-token.js";

const NOW = Date.parse("2024-06-07T09:00:00Z");
const SECRET = "a-test-secret-of-enough-length";
const settings = EmailSettings.parse({
  from: "Café Örtlich <hola@shop.example>",
  storeName: "Café Örtlich & Co.",
  storeUrl: "https://shop.example/",
  couponUrl: "https://shop.example/discount/{code}?redirect=/collections/all",
  unsubscribeUrl: "https://api.shop.example/unsubscribe",
  unsubscribeSecret: SECRET,
  unsubscribeMailto: "unsubscribe@shop.example",
  timeZone: "Europe/Madrid",
});
const contact = { contactId: "c-42", firstName: "Lucía", email: "lucia@example.com" };
// 22:30 UTC on the 14th is already the 15th in Madrid: the date in the mail must be the store's.
const variables = { couponCode: "COMEBACK-7QX2", couponExpiresAt: "2024-06-14T22:30:00Z" };
const WORKFLOW = "win-back";

const compose = (template: EmailTemplate, overrides: Partial<typeof contact> = {}, vars: typeof variables | Record<string, never> = variables, s = settings) =>
  composeWorkflowEmail({ template, variables: vars, workflowId: WORKFLOW, now: NOW }, { ...contact, ...overrides }, s);

/** Every href in the HTML, as a browser reads it (entities decoded). */
const hrefsOf = (html: string) => [...parseHTML(html).document.querySelectorAll("[href]")].map((a) => a.getAttribute("href")!);
const urlsInText = (text: string) => [...text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);

const reactivationCoupon = emailTemplate("reactivation-coupon");

describe.each(emailTemplateNames().map((name) => emailTemplate(name)))("the $id e-mail (emails/$id/)", (template) => {
  const email = compose(template);

  it("fills every variable in subject, HTML and text", () => {
    // Act and assess
    for (const part of [email.subject, email.html, email.text]) expect(part).not.toMatch(/\{\{|\}\}/);
    expect(email.subject).toContain("Café Örtlich & Co.");
    for (const part of [email.html, email.text]) {
      expect(part).toContain("Lucía");
      expect(part).toContain("COMEBACK-7QX2");
      expect(part).toContain("15 June 2024");
    }
    expect(parseHTML(email.html).document.body.textContent).toContain("Café Örtlich & Co.");
    expect(email.html).toContain("Café Örtlich &amp; Co.");
  });

  it("tags every link of the HTML and the text with utm_source, utm_medium and utm_campaign", () => {
    // Prepare
    const links = [...hrefsOf(email.html), ...urlsInText(email.text)];
    // Act and assess
    // The store, the coupon button and the unsubscribe link, in both parts.
    expect(links.length).toBeGreaterThanOrEqual(6);
    for (const link of links) {
      const url = new URL(link);
      expect(url.protocol, link).toBe("https:");
      expect(url.searchParams.get("utm_source"), link).toBe("cafe-ortlich-co");
      expect(url.searchParams.get("utm_medium"), link).toBe("email");
      expect(url.searchParams.get("utm_campaign"), link).toBe(WORKFLOW);
    }
  });

  it("has a button to the store that applies the coupon", () => {
    // Act
    const button = hrefsOf(email.html).map((h) => new URL(h)).find((u) => u.pathname === "/discount/COMEBACK-7QX2");
    // Assess
    expect(button?.searchParams.get("redirect")).toBe("/collections/all");
    expect(urlsInText(email.text).some((u) => new URL(u).pathname === "/discount/COMEBACK-7QX2")).toBe(true);
  });

  it("links the footer to the signed one-click unsubscribe URL, and carries the RFC 8058 headers", () => {
    // Act
    const footer = hrefsOf(email.html).map((h) => new URL(h)).find((u) => u.host === "api.shop.example");
    // Assess
    expect(footer?.pathname).toBe("/unsubscribe");
    expect(verifyUnsubscribeToken(footer!.searchParams.get("token")!, NOW, { secret: SECRET })).toEqual({ valid: true, contactId: "c-42" });
    const headers = Object.fromEntries(email.headers.map((h) => [h.name, h.value]));
    expect(headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    const [https, mailto] = headers["List-Unsubscribe"]!.split(", ");
    expect(https).toMatch(/^<https:\/\/api\.shop\.example\/unsubscribe\?token=[\w-]+\.\d+\.[\w-]+>$/);
    expect(mailto).toMatch(/^<mailto:unsubscribe@shop\.example\?subject=unsubscribe%20[\w.-]+>$/);
  });

  it("greets a contact without a first name with the template's fallback", () => {
    // Act
    const anonymous = compose(template, { firstName: undefined as unknown as string });
    // Assess
    expect(anonymous.text).toMatch(/^Hello there,/);
    expect(parseHTML(anonymous.html).document.body.textContent).toContain("Hello there,");
  });

  it("refuses to render without the coupon, naming the variable", () => {
    // Act and assess
    expect(() => compose(template, {}, {})).toThrowError(MissingVariableError);
    expect(() => compose(template, {}, {})).toThrowError(/\{\{couponCode\}\}/);
  });

  it("is named by its folder", () => {
    // Act and assess
    expect(emailTemplate(template.id)).toBe(template);
    expect(template.files?.html).toMatch(new RegExp(`emails/${template.id}/html\\.liquid$`));
  });
});

describe("rendering", () => {
  const template: EmailTemplate = { id: "t", type: "newsletter", locale: "en-GB", subject: "Hi {{firstName}}", html: "<p>Hello {{ firstName }}</p>", text: "Hello {{firstName}}" };

  it("escapes variables in the HTML only", () => {
    // Act
    const email = renderTemplate(template, { firstName: `<b>Tom & "Jerry"</b>` });
    // Assess
    expect(email.html).toBe("<p>Hello &lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;</p>");
    expect(parseHTML(email.html).document.querySelector("b")).toBeNull();
    expect(email.text).toBe(`Hello <b>Tom & "Jerry"</b>`);
  });

  it("never sends a placeholder: a missing or blank value without fallback is an error naming it", () => {
    // Act and assess
    expect(() => renderTemplate(template, {})).toThrowError('template "t": no value for {{firstName}} and the template declares no fallback');
    expect(() => renderTemplate(template, { firstName: "  " })).toThrowError(MissingVariableError);
    expect(renderTemplate({ ...template, fallbacks: { firstName: "there" } }, { firstName: "" }).text).toBe("Hello there");
  });

  it("rejects unknown and malformed placeholders", () => {
    // Act and assess
    expect(() => renderTemplate({ ...template, text: "Hi {{lastName}}" }, { firstName: "A" })).toThrowError(/unknown variable \{\{lastName\}\}/);
    expect(() => renderTemplate({ ...template, text: "Hi {{ first name }}" }, { firstName: "A" })).toThrowError(TemplateError);
    expect(() => renderTemplate({ ...template, html: "<p>{{firstName}</p>" }, { firstName: "A" })).toThrowError('e-mail template "t" html line 1: output "{{firstName}</p>" not closed');
  });

  it("keeps a subject on one line", () => {
    // Act and assess
    expect(renderTemplate(template, { firstName: "A\r\nBcc: x@y" }).subject).toBe("Hi A Bcc: x@y");
  });
});

describe("UTM tags", () => {
  const utm = { source: "shop", medium: "email", campaign: "win-back" };

  it("keeps a tag the author set, leaves mailto alone and sentence punctuation outside the URL", () => {
    // Prepare
    const tagged = tagLinks(
      {
        subject: "s",
        html: `<a href="https://a.example/x?utm_source=newsletter&amp;q=1">a</a> <a href='mailto:hi@a.example'>m</a>`,
        text: "See https://a.example/y. Or (https://a.example/z), mail hi@a.example.",
      },
      utm,
    );
    // Act
    const [first, mail] = hrefsOf(tagged.html);
    // Assess
    expect(new URL(first!).searchParams.get("utm_source")).toBe("newsletter");
    expect(new URL(first!).searchParams.get("q")).toBe("1");
    expect(new URL(first!).searchParams.get("utm_campaign")).toBe("win-back");
    expect(mail).toBe("mailto:hi@a.example");
    expect(tagged.text).toBe(
      "See https://a.example/y?utm_source=shop&utm_medium=email&utm_campaign=win-back. Or (https://a.example/z?utm_source=shop&utm_medium=email&utm_campaign=win-back), mail hi@a.example.",
    );
  });

  it("uses the utm_source setting when the store has one", () => {
    // Act
    const email = compose(reactivationCoupon, {}, variables, { ...settings, utmSource: "cafe_newsletter" });
    // Assess
    for (const link of hrefsOf(email.html)) expect(new URL(link).searchParams.get("utm_source")).toBe("cafe_newsletter");
  });

  it("slugs the store name for the default source", () => {
    // Act and assess
    expect(slug("Café Örtlich & Co.")).toBe("cafe-ortlich-co");
    expect(slug("  ACME  Store 24/7 ")).toBe("acme-store-24-7");
  });
});

describe("settings and requests", () => {
  it("offers no mailto when the store has no unsubscribe address", () => {
    // Prepare
    const { unsubscribeMailto: _, ...rest } = settings;
    // Act
    const header = listUnsubscribeHeaders("c-1", rest, NOW).find((h) => h.name === "List-Unsubscribe")!;
    // Assess
    expect(header.value).not.toContain("mailto:");
  });

  it("wants https for the unsubscribe URL except on localhost, and a coupon URL with {code}", () => {
    // Prepare
    const input = { ...settings };
    // Act and assess
    expect(EmailSettings.safeParse({ ...input, unsubscribeUrl: "http://api.shop.example/unsubscribe" }).success).toBe(false);
    expect(EmailSettings.safeParse({ ...input, unsubscribeUrl: "http://127.0.0.1:8080/unsubscribe" }).success).toBe(true);
    expect(EmailSettings.safeParse({ ...input, couponUrl: "https://shop.example/cart" }).success).toBe(false);
    expect(EmailSettings.safeParse({ ...input, from: "Shop <not an address>" }).success).toBe(false);
    expect(EmailSettings.safeParse({ ...input, timeZone: "Mars/Olympus" }).success).toBe(false);
  });

});
