import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The token in a one-click unsubscribe link (RFC 8058): the contact id and when it was issued, signed
 * with HMAC-SHA256 under the store's secret, so the link needs no API key yet cannot be forged for
 * another contact. `<base64url(contactId)>.<issued, epoch seconds>.<base64url(signature)>`.
 */
export interface UnsubscribeTokenOptions {
  secret: string;
  /** How long a link keeps working; mail sits in inboxes for months. */
  maxAgeDays?: number;
}

const DEFAULT_MAX_AGE_DAYS = 400;

const signature = (payload: string, secret: string) => createHmac("sha256", secret).update(payload).digest("base64url");

export function signUnsubscribeToken(contactId: string, issuedAt: number, secret: string): string {
  const payload = `${Buffer.from(contactId).toString("base64url")}.${Math.floor(issuedAt / 1000)}`;
  return `${payload}.${signature(payload, secret)}`;
}

export type TokenCheck = { valid: true; contactId: string } | { valid: false; reason: string };

export function verifyUnsubscribeToken(token: string, now: number, options: UnsubscribeTokenOptions): TokenCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { valid: false, reason: "malformed token" };
  const [encodedId, issued, sig] = parts as [string, string, string];
  const expected = Buffer.from(signature(`${encodedId}.${issued}`, options.secret));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { valid: false, reason: "bad signature" };
  const issuedAt = Number(issued) * 1000;
  const maxAge = (options.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS) * 86_400_000;
  if (!Number.isFinite(issuedAt) || issuedAt > now + 60_000 || now - issuedAt > maxAge) return { valid: false, reason: "expired token" };
  return { valid: true, contactId: Buffer.from(encodedId, "base64url").toString() };
}
