/**
 * Why a send failed, in the two kinds a retry policy needs: Step Functions retries the state on
 * `RetryableSendError` (its error name) and lets `PermanentSendError` fail or be caught.
 */

/**
 * Whether the mail may have gone out despite the error: "no" when the service answered that it did
 * not take it (throttled, 5xx), "unknown" when no answer came (a timeout, a dropped connection).
 */
export type Delivery = "no" | "unknown";

/** Waiting cures it: throttling, a quota, a service error, a send still in progress elsewhere. */
export class RetryableSendError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly delivery: Delivery,
  ) {
    super(message);
    this.name = "RetryableSendError";
  }
}

/** Retrying the same mail fails the same way: rejected content, an unverified sender, a paused account. */
export class PermanentSendError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "PermanentSendError";
  }
}
