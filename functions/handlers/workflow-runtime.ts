import { z } from "zod";
import { CouponStore } from "../adapters/dynamodb/coupon-store.js";
import type { DynamoDbStore } from "../adapters/dynamodb/dynamodb-store.js";
import { DynamoDbSendLog } from "../adapters/dynamodb/send-log.js";
import { storeClient } from "../adapters/dynamodb/store-client.js";
import { SesMailer, sesClient } from "../adapters/ses/ses-mailer.js";
import { EmailSettings, type EmailDependencies } from "../domain/email/send-workflow-email.js";
import type { CouponOutcome } from "../domain/coupons/coupon-assignment.js";
import type { CouponStock } from "../domain/coupons/coupon-stock.js";
import type { CouponAssigner, EmailTemplates, EnrolmentStore } from "../domain/workflows/workflow-steps.js";
import { emailTemplate } from "../adapters/files/email-files.js";
import { parseEvent } from "./events.js";
import { parseEnvironment } from "../adapters/files/bad-environment.js";
import { handlerEnvironment, tableStore, unsubscribeSecret } from "./runtime.js";

/** What every workflow step may need; each Lambda's role grants only what its own step uses. */
export interface WorkflowStepDependencies {
  store: DynamoDbStore;
  enrolments: EnrolmentStore;
  /**
   * Assigns codes; the stock after an assignment is for the coupons-left metric: as the claim left it
   * (stockAfter, CouponStore), or read.
   */
  coupons: CouponAssigner & { couponStock(setId: string): Promise<CouponStock | undefined>; stockAfter?(outcome: CouponOutcome): CouponStock | undefined };
  email: () => Promise<EmailDependencies>;
  /** The e-mails of emails/, which the bundle carries next to the code. */
  templates: EmailTemplates;
  clock: () => number;
}

const EmailEnvironment = z.object({
  EMAIL_FROM: z.string().min(1),
  STORE_NAME: z.string().min(1),
  STORE_URL: z.string().min(1),
  COUPON_URL: z.string().optional(),
  UNSUBSCRIBE_URL: z.string().min(1),
  UNSUBSCRIBE_SECRET_ARN: z.string().min(1),
  TIME_ZONE: z.string().default("UTC"),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
});

/**
 * On AWS: the table, SES with the configuration set, the unsubscribe secret from Secrets Manager
 * (read through Powertools Parameters: a rotated secret is used within a minute).
 */
export function workflowStepDependencies(env: NodeJS.ProcessEnv = process.env): WorkflowStepDependencies {
  const table = handlerEnvironment(env);
  const store = tableStore(table);
  const client = storeClient(table.DYNAMODB_ENDPOINT ? { endpoint: table.DYNAMODB_ENDPOINT } : {});
  const sendLog = new DynamoDbSendLog(client, table.TABLE_NAME);
  let mailer: SesMailer | undefined;
  return {
    store,
    enrolments: store,
    coupons: new CouponStore(client, table.TABLE_NAME),
    clock: Date.now,
    templates: (name) => emailTemplate(name),
    email: async () => {
      const e = parseEnvironment(EmailEnvironment, env);
      mailer ??= new SesMailer(sesClient(), e.SES_CONFIGURATION_SET ? { configurationSetName: e.SES_CONFIGURATION_SET } : {});
      const settings = parseEvent(
        EmailSettings,
        {
          from: e.EMAIL_FROM,
          storeName: e.STORE_NAME,
          storeUrl: e.STORE_URL,
          ...(e.COUPON_URL && { couponUrl: e.COUPON_URL }),
          unsubscribeUrl: e.UNSUBSCRIBE_URL,
          unsubscribeSecret: await unsubscribeSecret({ UNSUBSCRIBE_SECRET_ARN: e.UNSUBSCRIBE_SECRET_ARN })(),
          timeZone: e.TIME_ZONE,
        },
        "e-mail settings",
      );
      return {
        contacts: store,
        mailer,
        sendLog,
        settings,
      };
    },
  };
}
