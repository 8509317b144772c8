import type { MessageHeader } from "./ports.js";

/**
 * The tags a sent mail carries so that its bounce or complaint finds the contact again: the store
 * has no index by e-mail address, and an address may belong to two contacts. SES allows only ASCII
 * letters, digits, "_" and "-" in tag values (at most 256), so values travel as base64url.
 */
export const MAIL_TAG = { contact: "contact", email: "email" } as const;
const MAX_TAG_VALUE = 256;

const encode = (value: string) => Buffer.from(value).toString("base64url");

/** Tags for a mail to `contactId`; `emailId` names the e-mail (workflow and template). */
export function mailTags(contactId: string, emailId: string): MessageHeader[] {
  const tags = [
    { name: MAIL_TAG.contact, value: encode(contactId) },
    { name: MAIL_TAG.email, value: encode(emailId) },
  ];
  for (const tag of tags) {
    if (tag.value.length > MAX_TAG_VALUE) throw new RangeError(`the ${tag.name} id is too long for an SES tag (${tag.value.length} of ${MAX_TAG_VALUE} characters in base64url)`);
  }
  return tags;
}

/** Reads back what mailTags wrote, from tags as SES events carry them (name → values). */
export function readMailTags(tags: Readonly<Record<string, readonly string[]>>): { contactId?: string; emailId?: string } {
  const decode = (name: string) => {
    const value = tags[name]?.[0];
    return value !== undefined && /^[A-Za-z0-9_-]+$/.test(value) ? Buffer.from(value, "base64url").toString() : undefined;
  };
  const contactId = decode(MAIL_TAG.contact);
  const emailId = decode(MAIL_TAG.email);
  return { ...(contactId !== undefined && { contactId }), ...(emailId !== undefined && { emailId }) };
}
