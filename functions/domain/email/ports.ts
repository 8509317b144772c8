/** What sending e-mail needs from the outside world (SES and DynamoDB implement it; tests fake it). */

export interface MessageHeader {
  name: string;
  value: string;
}

/** A mail ready to go: rendered, tagged, with its headers. */
export interface OutgoingEmail {
  /** "Store name <shop@store.example>" or a bare address. */
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  headers: readonly MessageHeader[];
  /** Travel with the provider's events (bounces, complaints), so they lead back to the contact. */
  tags: readonly MessageHeader[];
}

/**
 * Sends one mail. Throws RetryableSendError or PermanentSendError (send-errors.ts) and nothing else
 * for a failure of the service, so the caller knows whether the mail may have left.
 */
export interface Mailer {
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
}

/** A send record: one per contact and idempotency key (`<executionName>#<stepName>`). */
export interface SendKey {
  contactId: string;
  idempotencyKey: string;
}

/** What claiming a send found: the claim is ours, or the mail went already, or another attempt holds it. */
export type SendClaim =
  | { status: "claimed"; attempt: string }
  | { status: "sent"; messageId: string; sentAt: string }
  | { status: "in-progress"; claimedAt: string };

/**
 * The record that makes sending idempotent. A claim is taken before the provider is called and
 * completed with its message id after; see sendWorkflowEmail for what a crash in between does.
 */
export interface SendLog {
  /**
   * Claims the key for a new attempt, unless a completed record exists or a claim taken at or after
   * `staleBefore` (epoch ms) does. `templateId` is kept with the record for whoever reads it later.
   */
  claim(key: SendKey, options: { now: number; staleBefore: number; templateId: string }): Promise<SendClaim>;
  /** Marks the claim sent with the provider's message id; a record already marked sent is kept as is. */
  complete(key: SendKey, options: { attempt: string; messageId: string; now: number }): Promise<void>;
  /** Gives up the attempt's own claim (nothing was sent), so a retry may send; anyone else's is left. */
  release(key: SendKey, options: { attempt: string }): Promise<void>;
}
