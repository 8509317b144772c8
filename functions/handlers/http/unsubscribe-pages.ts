import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { escapeHtml } from "../../domain/email/template.js";

/**
 * The pages behind the unsubscribe link in a mail's footer, in the store's name. They show no one's
 * data: not the address, not the name, nothing a forwarded link could tell a stranger; only the
 * store's name and the buttons. A GET only shows the question: mail scanners and link previews fetch
 * links, and only the button (a POST) unsubscribes.
 */
export type UnsubscribePage =
  /** GET with a valid token: the question and its button. */
  | { kind: "ask" }
  /** After the button: done, and "I changed my mind". */
  | { kind: "unsubscribed" }
  /** After "I changed my mind": subscribed again, and the way back out. */
  | { kind: "resubscribed" }
  /** "I changed my mind" did not subscribe (the address bounced, a complaint newer than now cannot be): why, without data. */
  | { kind: "not-resubscribed" }
  /** No token, a forged or an expired one. */
  | { kind: "invalid"; reason: "missing" | "invalid" | "expired" };

/** The button's field in the form body (application/x-www-form-urlencoded). */
export const CHOICE_FIELD = "choice";
export const choices = { unsubscribe: "unsubscribe", resubscribe: "resubscribe" } as const;

const STATUS: Record<UnsubscribePage["kind"], number> = { ask: 200, unsubscribed: 200, resubscribed: 200, "not-resubscribed": 409, invalid: 403 };

/**
 * Scripts, images, frames and other origins are refused; the form posts only to this page. The token
 * is in the URL, so no referrer leaves with a click, and no search engine keeps the page.
 */
const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-robots-tag": "noindex, nofollow",
};

/** The page as an HTTP answer. `token` goes back into the form's action, as the link had it. */
export function unsubscribePage(page: UnsubscribePage, storeName: string, token?: string): APIGatewayProxyStructuredResultV2 {
  const status = page.kind === "invalid" && page.reason === "missing" ? 400 : STATUS[page.kind];
  return { statusCode: status, headers: HEADERS, body: render(page, storeName, token) };
}

function render(page: UnsubscribePage, storeName: string, token: string | undefined): string {
  const store = escapeHtml(storeName);
  const form = (choice: keyof typeof choices, label: string, primary: boolean) =>
    token === undefined
      ? ""
      : `<form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}">
      <input type="hidden" name="${CHOICE_FIELD}" value="${choices[choice]}">
      <button type="submit" class="${primary ? "primary" : "secondary"}">${escapeHtml(label)}</button>
    </form>`;
  const body = (() => {
    switch (page.kind) {
      case "ask":
        return `<h1>Unsubscribe from ${store}'s e-mails?</h1>
    <p>You will no longer get newsletters and offers from ${store} at this address.</p>
    ${form("unsubscribe", "Unsubscribe", true)}`;
      case "unsubscribed":
        return `<h1>You are unsubscribed</h1>
    <p>${store} will not send you newsletters or offers any more. A mail already on its way may still arrive.</p>
    <p>Clicked by mistake?</p>
    ${form("resubscribe", "I changed my mind", false)}`;
      case "resubscribed":
        return `<h1>You are subscribed again</h1>
    <p>Thank you: ${store} will send you its newsletters and offers again. Every mail has a link to unsubscribe.</p>
    ${form("unsubscribe", "Unsubscribe", false)}`;
      case "not-resubscribed":
        return `<h1>You stay unsubscribed</h1>
    <p>${store} cannot mail this address again from here. To subscribe, please do so on ${store}'s website or contact the store.</p>`;
      case "invalid":
        return page.reason === "missing"
          ? `<h1>This link is incomplete</h1>
    <p>Please use the whole unsubscribe link from the e-mail, or contact ${store}.</p>`
          : `<h1>This link ${page.reason === "expired" ? "has expired" : "is not valid"}</h1>
    <p>Please use the unsubscribe link in a more recent e-mail from ${store}, or contact the store.</p>`;
    }
  })();
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex, nofollow">
  <title>${store}: e-mail subscription</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #f6f6f4; color: #222; margin: 0; }
    main { max-width: 32rem; margin: 4rem auto; padding: 2rem; background: #fff; border-radius: 8px; }
    .store { color: #666; font-size: 0.9rem; margin: 0 0 1.5rem; }
    h1 { font-size: 1.4rem; margin: 0 0 1rem; }
    button { font: inherit; padding: 0.6rem 1.4rem; border-radius: 6px; cursor: pointer; }
    button.primary { background: #222; color: #fff; border: 0; }
    button.secondary { background: #fff; color: #222; border: 1px solid #888; }
  </style>
</head>
<body>
  <main>
    <p class="store">${store}</p>
    ${body}
  </main>
</body>
</html>
`;
}
