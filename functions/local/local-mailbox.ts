import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { escapeHtml } from "../domain/email/template.js";
import type { LocalMailMessage } from "./local-mail.js";

export const DEFAULT_MAILBOX = ".out/mail";

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
  const kept = readdirSync(root)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(root, f), "utf8")) as { id: string; to: string[]; subject: string; at: number })
    .sort((a, b) => b.at - a.at || b.id.localeCompare(a.id));
  const rows = kept.map(
    (m) =>
      `<tr><td>${escapeHtml(new Date(m.at * 1000).toISOString().replace("T", " ").slice(0, 19))}</td><td>${escapeHtml(m.to.join(", "))}</td><td><a href="${encodeURIComponent(m.id)}.html">${escapeHtml(m.subject)}</a></td><td><a href="${encodeURIComponent(m.id)}.txt">text</a></td></tr>`,
  );
  const index = join(root, "index.html");
  writeFileSync(
    index,
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Local mail (${kept.length})</title><style>body{font:14px system-ui,sans-serif;margin:24px}td,th{padding:4px 10px;text-align:left;border-bottom:1px solid #ddd}</style></head><body><h1>Mail sent by local runs (${kept.length})</h1><p>Kept from the local SES (aws-ses-v2-local) of each run; delete this folder to start afresh.</p><table><thead><tr><th>Sent (UTC)</th><th>To</th><th>Subject</th><th></th></tr></thead><tbody>${rows.join("")}</tbody></table></body></html>\n`,
  );
  return { index, saved: mails.length, total: kept.length };
}
