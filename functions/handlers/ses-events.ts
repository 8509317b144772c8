import type { DynamoDbStore } from "../adapters/dynamodb/dynamodb-store.js";
import { serviceLogger } from "../adapters/logging/logger.js";
import { putMetrics } from "../adapters/logging/metrics.js";
import { feedbackFromSesEvent, SesEventBridgeEvent } from "../adapters/ses/ses-feedback-event.js";
import { applyMailFeedback } from "../domain/email/mail-feedback.js";
import { parseEvent } from "./events.js";
import { lambdaHandler, tableStore } from "./runtime.js";

const logger = serviceLogger("ses-events");
let store: DynamoDbStore | undefined;

/**
 * SES bounce and complaint events (EventBridge, from the configuration set lib/email-sending.ts
 * makes): a hard bounce or a complaint unsubscribes the contact and is recorded as an e-mail event.
 * An event of another shape throws, so that it ends in the dead-letter queue rather than vanishing.
 * SES events carry the recipient's address: what this logs or throws is redacted.
 */
export const handler = lambdaHandler(logger, () => async (event: unknown): Promise<void> => {
  const result = feedbackFromSesEvent(parseEvent(SesEventBridgeEvent, event, "SES event"));
  if ("ignored" in result) {
    logger.info("SES event ignored", { reason: result.ignored });
    return;
  }
  await applyMailFeedback(result.feedback, (store ??= tableStore()));
  putMetrics(result.feedback.type === "bounced" ? { Bounces: 1 } : { Complaints: 1 }, { properties: { emailId: result.feedback.emailId } });
  logger.info("contact unsubscribed after SES feedback", { contactId: result.feedback.contactId, type: result.feedback.type });
});
