/**
 * E-mail addresses out of logs: every string a log line, a metric's properties or an error message
 * carries goes through `redactEmails` first. Contact ids may be addresses too (some platforms key
 * customers by e-mail), and SES puts the recipient in its rejection messages, so the rule is by
 * shape, not by field name.
 */

/**
 * Anything shaped like an address: a local part, "@" (or "%40", URL-encoded), a dotted domain. The
 * local part is the usual set (letters, digits, . _ % + -), not all RFC 5322 allows, so that a URL's
 * "?to=" or a path before an address is not taken with it.
 */
const EMAIL = /[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

export const REDACTED_EMAIL = "[email]";

/** Field names whose whole value is an address, whatever it looks like (a display name with it). */
const ADDRESS_FIELDS = new Set(["email", "emailaddress", "to", "toaddresses", "recipient", "recipients", "destination", "replyto"]);

export function redactEmails(text: string): string {
  // The check spares the regular expression on the many strings with no "@" at all.
  if (!text.includes("@") && !text.includes("%40")) return text;
  return text.replace(EMAIL, REDACTED_EMAIL);
}

/** A JSON.stringify replacer: addresses out of every string, address fields out whole. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (ADDRESS_FIELDS.has(key.toLowerCase()) && (typeof value === "string" || Array.isArray(value))) return REDACTED_EMAIL;
  return typeof value === "string" ? redactEmails(value) : value;
}

/** A copy of a value with every address redacted, for anything logged or put in a metric record. */
export function redacted<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, redactingReplacer) ?? "null") as T;
}

/**
 * Redacts an error in place and returns it: its message and stack lose any address, its class and
 * name stay, so a Step Functions Retry or Catch on the name still matches. What a Lambda throws ends
 * in its log (the runtime prints it) and in the state machine's history and logs.
 */
export function redactError<E>(error: E): E {
  if (error instanceof Error) {
    error.message = redactEmails(error.message);
    if (error.stack) error.stack = redactEmails(error.stack);
    if (error.cause !== undefined) error.cause = error.cause instanceof Error ? redactError(error.cause) : redacted(error.cause);
  }
  return error;
}

/** A handler whose thrown errors are redacted on the way out. */
export function withRedactedErrors<E, R>(handle: (event: E) => Promise<R>): (event: E) => Promise<R> {
  return async (event) => {
    try {
      return await handle(event);
    } catch (error) {
      throw redactError(error);
    }
  };
}
