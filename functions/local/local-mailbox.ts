import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { escapeHtml } from "../domain/email/template.js";
import type { LocalMailMessage } from "./local-mail.js";

export const DEFAULT_MAILBOX = ".out/mail";

/** What a kept mail's <id>.json holds. */
interface KeptMail {
  id: string;
  to: string[];
  subject: string;
  at: number;
}

/**
 * Keeps the mail a local run sent after its SES (aws-ses-v2-local, in the run's process) stops: each
 * mail as <id>.html, <id>.txt and <id>.json, and index.html listing every mail kept so far, newest
 * first. Runs add to the folder; deleting it starts afresh.
 */
export function saveMailbox(mails: readonly LocalMailMessage[], dir: string = DEFAULT_MAILBOX): { index: string; saved: number; total: number } {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  for (const mail of mails) {
    const id = `${mail.at}-${mail.messageId.replace(/[^A-Za-z0-9_-]/g, "")}`;
    writeFileSync(join(root, `${id}.html`), mail.body.html ?? `<pre>${escapeHtml(mail.body.text ?? "")}</pre>`);
    writeFileSync(join(root, `${id}.txt`), mail.body.text ?? "");
    writeFileSync(join(root, `${id}.json`), JSON.stringify({ id, to: mail.destination.to, from: mail.from, subject: mail.subject, at: mail.at, headers: mail.headers ?? [] }));
  }
  const { html, total } = mailboxIndex(root);
  const index = join(root, "index.html");
  writeFileSync(index, html);
  return { index, saved: mails.length, total };
}

/** The index page of the mail kept in `dir`, newest first, with links relative to the folder; none kept yet when the folder is missing. */
export function mailboxIndex(dir: string = DEFAULT_MAILBOX): { html: string; total: number } {
  const root = resolve(dir);
  const kept = (existsSync(root) ? readdirSync(root) : [])
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(root, f), "utf8")) as KeptMail)
    .sort((a, b) => b.at - a.at || b.id.localeCompare(a.id));
  const rows = kept.map(
    (m) =>
      `<tr><td>${escapeHtml(new Date(m.at * 1000).toISOString().replace("T", " ").slice(0, 19))}</td><td>${escapeHtml(m.to.join(", "))}</td><td><a href="${encodeURIComponent(m.id)}.html">${escapeHtml(m.subject)}</a></td><td><a href="${encodeURIComponent(m.id)}.txt">text</a></td></tr>`,
  );
  const empty = kept.length === 0 ? "<p>No mail yet: <code>npm start</code> and <code>npm run clv -- workflows run ID</code> keep the mail they send here.</p>" : "";
  return {
    total: kept.length,
    html: `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Local mail (${kept.length})</title><style>body{font:14px system-ui,sans-serif;margin:24px}td,th{padding:4px 10px;text-align:left;border-bottom:1px solid #ddd}</style></head><body><h1>Mail sent by local runs (${kept.length})</h1><p>Kept from the local SES (aws-ses-v2-local) of each run; delete this folder to start afresh.</p>${empty}<table><thead><tr><th>Sent (UTC)</th><th>To</th><th>Subject</th><th></th></tr></thead><tbody>${rows.join("")}</tbody></table></body></html>\n`,
  };
}

const MAIL_FILE = /^[A-Za-z0-9_-]+\.(html|txt)$/;
const CONTENT_TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8" };

/**
 * A page of the mailbox as the local HTTP server answers it at /mail/: the index (read afresh, so a run
 * that sends while the server is up shows), or one kept mail's HTML or text. Only the names the
 * mailbox writes are served: nothing outside the folder, nothing but .html and .txt.
 */
export function mailboxPage(file: string, dir: string = DEFAULT_MAILBOX): { status: number; headers: Record<string, string>; body: string } {
  // A mail's HTML runs no script and sends no form in the server's origin (that of the API).
  const headers = (type: string) => ({ "content-type": type, "cache-control": "no-store", "content-security-policy": "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation" });
  if (file === "" || file === "index.html") return { status: 200, headers: headers(CONTENT_TYPES[".html"]!), body: mailboxIndex(dir).html };
  const path = join(resolve(dir), file);
  if (!MAIL_FILE.test(file) || !existsSync(path)) return { status: 404, headers: headers(CONTENT_TYPES[".txt"]!), body: `no mail "${file}" kept in ${dir}\n` };
  return { status: 200, headers: headers(CONTENT_TYPES[extname(file)]!), body: readFileSync(path, "utf8") };
}
