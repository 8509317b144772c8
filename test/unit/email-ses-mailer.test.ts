import { MessageRejected, SendEmailCommand, SESv2Client, SESv2ServiceException, TooManyRequestsException } from "@aws-sdk/client-sesv2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { classifySesError, SesMailer } from "../../functions/adapters/ses/ses-mailer.js";
import type { OutgoingEmail } from "../../functions/domain/email/ports.js";
import { PermanentSendError, RetryableSendError } from "../../functions/domain/email/send-errors.js";

const ses = mockClient(SESv2Client);
const email: OutgoingEmail = {
  from: "Shop <hola@shop.example>",
  to: "ana@example.com",
  replyTo: "help@shop.example",
  subject: "A gift",
  html: "<p>Hi</p>",
  text: "Hi",
  headers: [
    { name: "List-Unsubscribe", value: "<https://api.shop.example/unsubscribe?token=t>" },
    { name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click" },
  ],
  tags: [{ name: "contact", value: "Yy0x" }],
};
const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe("SesMailer", () => {
  beforeEach(() => ses.reset());

  it("sends simple content with the headers, tags and configuration set", async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: "0102-abc" });
    const mailer = new SesMailer(new SESv2Client({ region: "eu-west-1" }), { configurationSetName: "clv-mail" });
    // Act and assess
    expect(await mailer.send(email)).toEqual({ messageId: "0102-abc" });
    expect(ses.commandCalls(SendEmailCommand)[0]!.args[0].input).toEqual({
      FromEmailAddress: "Shop <hola@shop.example>",
      Destination: { ToAddresses: ["ana@example.com"] },
      ReplyToAddresses: ["help@shop.example"],
      Content: {
        Simple: {
          Subject: { Data: "A gift", Charset: "UTF-8" },
          Body: { Html: { Data: "<p>Hi</p>", Charset: "UTF-8" }, Text: { Data: "Hi", Charset: "UTF-8" } },
          Headers: [
            { Name: "List-Unsubscribe", Value: "<https://api.shop.example/unsubscribe?token=t>" },
            { Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click" },
          ],
        },
      },
      EmailTags: [{ Name: "contact", Value: "Yy0x" }],
      ConfigurationSetName: "clv-mail",
    });
  });

  it("turns SES's rejection into PermanentSendError and throttling into RetryableSendError", async () => {
    // Prepare
    const mailer = new SesMailer(new SESv2Client({ region: "eu-west-1" }));
    ses.on(SendEmailCommand).rejects(new MessageRejected({ message: "Email address is not verified.", ...metadata(400) }));
    // Act and assess
    await expect(mailer.send(email)).rejects.toMatchObject({ name: "PermanentSendError", code: "MessageRejected" });
    ses.on(SendEmailCommand).rejects(new TooManyRequestsException({ message: "Maximum sending rate exceeded.", ...metadata(429) }));
    await expect(mailer.send(email)).rejects.toMatchObject({ name: "RetryableSendError", code: "TooManyRequestsException", delivery: "no" });
  });
});

describe("classifySesError", () => {
  const serviceError = (name: string, status: number) => new SESv2ServiceException({ name, $fault: status >= 500 ? "server" : "client", message: name, ...metadata(status) });
  const networkError = (name: string, code?: string) => Object.assign(new Error("socket"), { name, ...(code && { code }) });

  it.each([
    ["MessageRejected", serviceError("MessageRejected", 400)],
    ["MailFromDomainNotVerifiedException", serviceError("MailFromDomainNotVerifiedException", 400)],
    ["AccountSuspendedException", serviceError("AccountSuspendedException", 400)],
    ["SendingPausedException", serviceError("SendingPausedException", 400)],
    ["NotFoundException", serviceError("NotFoundException", 404)],
    ["an unknown 4xx", serviceError("Unknown", 400)],
  ])("%s is permanent", (_, error) => {
    expect(classifySesError(error)).toBeInstanceOf(PermanentSendError);
  });

  it.each([
    ["TooManyRequestsException", serviceError("TooManyRequestsException", 429), "no"],
    ["LimitExceededException (the daily quota)", serviceError("LimitExceededException", 400), "no"],
    ["a 503", serviceError("ServiceUnavailable", 503), "no"],
    ["an internal error", serviceError("InternalFailure", 500), "no"],
    ["a timeout", networkError("TimeoutError"), "unknown"],
    ["a reset connection", networkError("Error", "ECONNRESET"), "unknown"],
    // No connection, so nothing of the request left: the claim is released and a retry sends.
    ["a refused connection", networkError("Error", "ECONNREFUSED"), "no"],
    ["a host not found", networkError("Error", "ENOTFOUND"), "no"],
    ["something unheard of", "a string", "unknown"],
  ])("%s is retryable, delivery %s", (_, error, delivery) => {
    const classified = classifySesError(error);
    expect(classified).toBeInstanceOf(RetryableSendError);
    expect((classified as RetryableSendError).delivery).toBe(delivery);
  });
});
