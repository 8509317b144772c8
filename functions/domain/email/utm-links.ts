import { escapeHtml, type RenderedEmail } from "./template.js";

/**
 * Google Analytics campaign tags on every link of a mail, as Connectif's "Enable Google Analytics"
 * option adds them, so a visit from the mail shows up as `email / <workflow>` in the store's analytics.
 */
export interface UtmTags {
  source: string;
  medium: string;
  campaign: string;
}

/** "Café Örtlich & Co." → "cafe-ortlich-co": the default utm_source. */
export function slug(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** The URL with the tags added; a tag the link already carries is the author's choice and stays. */
export function tagUrl(url: string, utm: UtmTags): string {
  const parsed = new URL(url);
  for (const [name, value] of [["utm_source", utm.source], ["utm_medium", utm.medium], ["utm_campaign", utm.campaign]] as const) {
    if (!parsed.searchParams.has(name)) parsed.searchParams.set(name, value);
  }
  return parsed.toString();
}

const HREF = /(\shref\s*=\s*)(["'])(.*?)\2/gis;
const TEXT_URL = /https?:\/\/[^\s<>"']+/gi;
/** Sentence punctuation after a URL in prose belongs to the sentence, not the URL. */
const TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;
const isWebUrl = (url: string) => /^https?:\/\//i.test(url);

/** Undoes what escapeHtml (or a template author) wrote into an attribute. */
function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (entity, code: string) => {
    const lower = code.toLowerCase();
    if (lower.startsWith("#x")) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith("#")) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[lower] ?? entity;
  });
}

/**
 * Tags every http(s) link: each `href` of the HTML and each URL of the text. mailto: and other
 * schemes are left alone. Runs on the rendered mail, so links that came in through variables
 * (the coupon link) and links written into the template are treated alike.
 */
export function tagLinks(email: RenderedEmail, utm: UtmTags): RenderedEmail {
  return {
    subject: email.subject,
    html: email.html.replace(HREF, (whole, lead: string, quote: string, raw: string) => {
      const url = decodeEntities(raw.trim());
      return isWebUrl(url) ? `${lead}${quote}${escapeHtml(tagUrl(url, utm))}${quote}` : whole;
    }),
    text: email.text.replace(TEXT_URL, (match) => {
      const trailing = TRAILING_PUNCTUATION.exec(match)?.[0] ?? "";
      return tagUrl(match.slice(0, match.length - trailing.length), utm) + trailing;
    }),
  };
}
