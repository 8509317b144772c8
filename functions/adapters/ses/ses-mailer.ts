import { Agent } from "node:http";
import { SendEmailCommand, SESv2Client, type SendEmailCommandInput } from "@aws-sdk/client-sesv2";
import type { Mailer, OutgoingEmail } from "../../domain/email/ports.js";
import { LOCAL_SIGNER } from "../local-signer.js";
import { PermanentSendError, RetryableSendError } from "../../domain/email/send-errors.js";

/**
 * The SES v2 client. `endpoint` points it at aws-ses-v2-local (dummy credentials, eu-west-1, and an
 * unsigned Authorization header of the right shape, which is all it checks); without it, AWS in the
 * Lambda's region.
 *
 * One try per request: SendEmail takes no idempotency token, so an SDK retry after a lost response
 * would send the mail twice behind the send log's back. Retries happen one level up (Step Functions),
 * through the send log, which knows what already went.
 *
 * Locally each send opens its own connection: on a kept-alive one, the server's closing of an idle
 * socket can cross the next request, which then fails with ECONNRESET, and a reset cannot tell whether
 * the mail left, so the send log keeps its claim and the step's retries find it taken (on a busy
 * machine, a few executions of every demo failed so). A refused connection is a clear "not sent".
 */
export function sesClient(endpoint?: string): SESv2Client {
  const client = new SESv2Client({
    maxAttempts: 1,
    ...(endpoint
      ? { endpoint, region: "eu-west-1", credentials: { accessKeyId: "local", secretAccessKey: "local" }, signer: LOCAL_SIGNER, requestHandler: { httpAgent: new Agent({ keepAlive: false }) } }
      : { region: process.env.AWS_REGION }),
  });
  if (endpoint) {
    // aws-ses-v2-local reads no user agent or trace header, and no logger is given: the SDK's copies of
    // each request for them are left to AWS's endpoint (as for the local DynamoDB, store-client.ts).
    client.middlewareStack.remove("loggerMiddleware");
    client.middlewareStack.remove("getUserAgentMiddleware");
    client.middlewareStack.remove("recursionDetectionMiddleware");
  }
  return client;
}

export interface SesMailerOptions {
  /** Its event destination reports bounces and complaints; SES requires it to exist when named. */
  configurationSetName?: string;
}

/** The Mailer port on SES v2: one SendEmail with simple content per mail. */
export class SesMailer implements Mailer {
  constructor(
    private readonly client: Pick<SESv2Client, "send">,
    private readonly options: SesMailerOptions = {},
  ) {}

  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    const input: SendEmailCommandInput = {
      FromEmailAddress: email.from,
      Destination: { ToAddresses: [email.to] },
      ...(email.replyTo !== undefined && { ReplyToAddresses: [email.replyTo] }),
      Content: {
        Simple: {
          Subject: { Data: email.subject, Charset: "UTF-8" },
          Body: { Html: { Data: email.html, Charset: "UTF-8" }, Text: { Data: email.text, Charset: "UTF-8" } },
          Headers: email.headers.map((h) => ({ Name: h.name, Value: h.value })),
        },
      },
      EmailTags: email.tags.map((t) => ({ Name: t.name, Value: t.value })),
      ...(this.options.configurationSetName !== undefined && { ConfigurationSetName: this.options.configurationSetName }),
    };
    let messageId: string | undefined;
    try {
      ({ MessageId: messageId } = await this.client.send(new SendEmailCommand(input)));
    } catch (error) {
      throw classifySesError(error);
    }
    if (!messageId) throw new RetryableSendError("NoMessageId", "SES answered SendEmail without a MessageId", "unknown");
    return { messageId };
  }
}

/** SES v2 SendEmail errors that waiting cures (the rate, the daily quota); SES took no mail. */
const RETRYABLE = new Set(["TooManyRequestsException", "ThrottlingException", "LimitExceededException"]);
/** Errors that repeat whatever the wait: the content, the sender, the account or the request is wrong. */
const PERMANENT = new Set(["MessageRejected", "MailFromDomainNotVerifiedException", "AccountSuspendedException", "SendingPausedException", "BadRequestException", "NotFoundException"]);
/** Network errors that mean no answer came, whether or not SES got the request. */
const NO_ANSWER = new Set(["TimeoutError", "RequestTimeout", "AbortError", "ECONNRESET", "ETIMEDOUT", "EPIPE"]);
/** Network errors before a connection existed (refused, the name not resolved): nothing of the request left. */
const NOT_CONNECTED = new Set(["ECONNREFUSED", "EAI_AGAIN", "ENOTFOUND"]);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number };
}

/**
 * Sorts an SES (or network) error into what a retry policy needs: RetryableSendError with
 * `delivery: "no"` when SES answered that it did not take the mail (throttled, quota, 5xx) or no
 * connection was made (refused, the host not found),
 * `delivery: "unknown"` when no answer came; PermanentSendError for everything else SES refused.
 */
export function classifySesError(error: unknown): RetryableSendError | PermanentSendError {
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkError;
  const name = e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  const message = `SES SendEmail: ${name}${status !== undefined ? ` (HTTP ${status})` : ""}: ${e.message ?? String(error)}`;
  if (PERMANENT.has(name)) return new PermanentSendError(name, message);
  if (RETRYABLE.has(name) || status === 429) return new RetryableSendError(name, message, "no");
  if (status !== undefined && status >= 500) return new RetryableSendError(name, message, "no");
  if (status !== undefined && status >= 400) return new PermanentSendError(name, message);
  if (NOT_CONNECTED.has(name) || (e.code !== undefined && NOT_CONNECTED.has(e.code))) return new RetryableSendError(e.code ?? name, message, "no");
  if (NO_ANSWER.has(name) || (e.code !== undefined && NO_ANSWER.has(e.code))) return new RetryableSendError(e.code ?? name, message, "unknown");
  // Neither an answer nor a known network failure: it may have been sent, and a retry will tell.
  return new RetryableSendError(name, message, "unknown");
}
