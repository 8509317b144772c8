/**
 * The HTML frame the workflow mails share: a 600 px table layout with inline styles (mail clients
 * drop <style> blocks and most CSS), a hidden preheader (the line inboxes show after the subject),
 * one call-to-action button and the footer with the unsubscribe link. The text is template source:
 * `{{variable}}` placeholders are filled, HTML-escaped, when the mail is rendered.
 */
export interface NewsletterContent {
  lang: string;
  title: string;
  preheader: string;
  heading: string;
  /** Paragraphs before the code box; template source, may hold placeholders and inline markup. */
  intro: readonly string[];
  /** The coupon code box, with a line under it. */
  code: { value: string; note: string };
  button: { label: string; href: string };
  /** Paragraphs after the button. */
  outro: readonly string[];
  /** Why the contact gets this mail, before the unsubscribe link. */
  footer: string;
}

const font = "font-family:Helvetica,Arial,sans-serif;";
const paragraph = (html: string) => `<p style="margin:0 0 16px;${font}font-size:16px;line-height:24px;color:#333333;">${html}</p>`;

export function newsletterHtml(c: NewsletterContent): string {
  return `<!DOCTYPE html>
<html lang="${c.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${c.title}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f4f5;">
<span style="display:none;max-height:0;overflow:hidden;mso-hide:all;">${c.preheader}</span>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f5;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border-radius:8px;">
<tr><td style="padding:24px 32px;border-bottom:1px solid #e4e4e7;${font}font-size:20px;font-weight:bold;color:#18181b;">
<a href="{{storeUrl}}" style="color:#18181b;text-decoration:none;">{{storeName}}</a>
</td></tr>
<tr><td style="padding:32px;">
<h1 style="margin:0 0 24px;${font}font-size:24px;line-height:32px;color:#18181b;">${c.heading}</h1>
${c.intro.map(paragraph).join("\n")}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 24px;">
<tr><td align="center" style="padding:20px;border:2px dashed #a1a1aa;border-radius:8px;background-color:#fafafa;">
<div style="${font}font-size:28px;font-weight:bold;letter-spacing:3px;color:#18181b;">${c.code.value}</div>
<div style="margin-top:8px;${font}font-size:14px;color:#52525b;">${c.code.note}</div>
</td></tr>
</table>
<table role="presentation" cellpadding="0" cellspacing="0" border="0" align="center" style="margin:0 auto 24px;">
<tr><td align="center" style="border-radius:6px;background-color:#18181b;">
<a href="${c.button.href}" style="display:inline-block;padding:14px 32px;${font}font-size:16px;font-weight:bold;color:#ffffff;text-decoration:none;border-radius:6px;">${c.button.label}</a>
</td></tr>
</table>
${c.outro.map(paragraph).join("\n")}
</td></tr>
<tr><td style="padding:24px 32px;border-top:1px solid #e4e4e7;${font}font-size:12px;line-height:18px;color:#71717a;">
${c.footer}
<a href="{{unsubscribeUrl}}" style="color:#71717a;text-decoration:underline;">Unsubscribe</a>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
}
