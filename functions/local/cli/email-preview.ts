import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { emailTemplate } from "../../adapters/files/email-files.js";
import { composeWorkflowEmail } from "../../domain/email/send-workflow-email.js";
import type { LocalStore } from "../local-store.js";
import { localEmailSettings } from "./demo-workflow.js";

export interface EmailPreview {
  subject: string;
  htmlPath: string;
  textPath: string;
  headers: readonly { name: string; value: string }[];
}

/**
 * `clv email preview NAME --contact ID`: the mail that contact would get, rendered as the send step
 * renders it (Liquid, the fallbacks, UTM tags on every link, the signed unsubscribe link and headers),
 * with a sample coupon, written as NAME.html and NAME.txt. Sends nothing.
 */
export async function previewEmail(
  local: LocalStore,
  options: { name: string; contactId: string; outDir: string; couponCode?: string; workflowId?: string; now?: number },
): Promise<EmailPreview> {
  const template = emailTemplate(options.name);
  const now = options.now ?? Date.now();
  const profile = (await local.store.getContact(options.contactId))?.profile;
  if (!profile) throw new Error(`no contact "${options.contactId}" in table ${local.tableName}`);
  const email = composeWorkflowEmail(
    {
      template,
      variables: { couponCode: options.couponCode ?? "PREVIEW-CODE", couponExpiresAt: new Date(now + 30 * 86_400_000).toISOString() },
      workflowId: options.workflowId ?? "preview",
      now,
    },
    // A contact without an address still previews; the send step would skip it.
    { contactId: options.contactId, firstName: profile.firstName, email: profile.email ?? "(no address)" },
    localEmailSettings(),
  );
  const dir = resolve(options.outDir);
  mkdirSync(dir, { recursive: true });
  const htmlPath = join(dir, `${options.name}.html`);
  const textPath = join(dir, `${options.name}.txt`);
  writeFileSync(htmlPath, email.html);
  writeFileSync(textPath, `Subject: ${email.subject}\n${email.headers.map((h) => `${h.name}: ${h.value}`).join("\n")}\n\n${email.text}`);
  return { subject: email.subject, htmlPath, textPath, headers: email.headers };
}
