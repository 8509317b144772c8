import { createHash } from "node:crypto";
import { CouponStore } from "../../adapters/dynamodb/coupon-store.js";
import { DynamoDbSendLog } from "../../adapters/dynamodb/send-log.js";
import { SesMailer, sesClient } from "../../adapters/ses/ses-mailer.js";
import { EmailSettings } from "../../domain/email/send-workflow-email.js";
import type { WorkflowFunnel } from "../../domain/report/workflow-funnel.js";
import { workflowFunnel, type Enrolment } from "../../domain/workflows/enrolment.js";
import { lowClvReactivation, parseWorkflowDefinition, type WorkflowDefinition } from "../../domain/workflows/workflow-definition.js";
import { profileKey } from "../../domain/store/table-keys.js";
import { handleContactChanges } from "../../handlers/contact-changes.js";
import { startLocalMail, type LocalMail } from "../local-mail.js";
import type { LocalStore } from "../local-store.js";
import { LocalWorkflows, type LocalWorkflowDependencies } from "../local-workflows.js";
import { LOCAL_API_PORT, LOCAL_STORE, localUnsubscribeSecret } from "../local-settings.js";

const DAY = 86_400_000;

/**
 * The demo's workflow: the shipped Low CLV workflow with the Low CLV segment at the store's own scale
 * (a quarter of its average predicted CLV): Online Retail sells to wholesalers, and no contact's
 * predicted CLV is under £100, so the segment with the article's fixed threshold is empty there.
 */
export const demoWorkflow: WorkflowDefinition = parseWorkflowDefinition({ ...lowClvReactivation, segmentId: "low-clv-relative" });

export interface DemoWorkflowSetup {
  runner: LocalWorkflows;
  mail: LocalMail;
  workflows: readonly WorkflowDefinition[];
  funnel(): Promise<WorkflowFunnel>;
  stop(): Promise<void>;
}

/** Whether a contact buys again during the wait: about one in four, the same ones on every run. */
const buysDuringTheWait = (contactId: string) => createHash("sha256").update(contactId).digest()[0]! < 64;

/**
 * What the workflow needs locally: a coupon set of single-use codes, SES (aws-ses-v2-local in this
 * process), and the state machine run by aws-local-stepfunctions. During each contact's wait, the
 * contacts picked by `buysDuringTheWait` order again, and the table's stream handler rescores them
 * as it would on AWS, so both branches after the wait run.
 */
export async function setUpDemoWorkflow(local: LocalStore, asOf: number): Promise<DemoWorkflowSetup> {
  const coupons = new CouponStore(local.client, local.tableName);
  await coupons.createCouponSet({ id: demoWorkflow.couponSetId, name: "Come back: 15 % off", expiresAt: new Date(asOf + 30 * DAY).toISOString(), lowStockThreshold: 50 });
  await coupons.importCodes(
    demoWorkflow.couponSetId,
    Array.from({ length: 1000 }, (_, i) => `BACK15-${createHash("sha256").update(`demo-${i}`).digest("hex").slice(0, 8).toUpperCase()}`),
  );
  const store = local.store;
  const { runner, mail } = await localWorkflowRunner(local, [demoWorkflow], asOf, async ({ contactId }) => {
    if (!buysDuringTheWait(contactId)) return;
    const contact = await store.getContact(contactId);
    const average = contact?.history ? contact.history.revenue / contact.history.orderCount : 20;
    const at = asOf + (2 + (contactId.length % 4)) * DAY;
    await store.recordOrder({ id: `demo-comeback-${contactId}`, contactId, createdAt: new Date(at).toISOString(), total: Math.round(average * 100) / 100, currency: "GBP", status: "placed" });
    await handleContactChanges(store, { Records: [{ eventName: "MODIFY", dynamodb: { Keys: { PK: { S: profileKey(contactId).PK }, SK: { S: profileKey(contactId).SK } }, SequenceNumber: String(at) } }] }, at);
  });
  return {
    runner,
    mail,
    workflows: [demoWorkflow],
    funnel: () => funnelOf(store, demoWorkflow),
    stop: () => mail.stop(),
  };
}

/**
 * Workflows run locally against the store at `local`: mail to aws-ses-v2-local started in this process,
 * coupons from the same table, links to `npm run serve`'s API for unsubscribing.
 */
export async function localWorkflowRunner(
  local: LocalStore,
  workflows: readonly WorkflowDefinition[],
  now: number,
  whenWaitEnds?: LocalWorkflowDependencies["whenWaitEnds"],
): Promise<{ runner: LocalWorkflows; mail: LocalMail }> {
  const mail = await startLocalMail();
  const email = {
    contacts: local.store,
    mailer: new SesMailer(sesClient(mail.endpoint)),
    sendLog: new DynamoDbSendLog(local.client, local.tableName),
    settings: EmailSettings.parse({
      from: LOCAL_STORE.from,
      storeName: LOCAL_STORE.name,
      storeUrl: LOCAL_STORE.url,
      couponUrl: LOCAL_STORE.couponUrl,
      // `npm run serve`'s API: the same unsubscribe route as on AWS, and the same secret (local-settings.ts).
      unsubscribeUrl: `http://127.0.0.1:${LOCAL_API_PORT}/unsubscribe`,
      unsubscribeSecret: localUnsubscribeSecret(),
      timeZone: LOCAL_STORE.timeZone,
    }),
  };
  const runner = new LocalWorkflows(workflows, {
    store: local.store,
    client: local.client,
    tableName: local.tableName,
    coupons: new CouponStore(local.client, local.tableName),
    email,
    clock: () => now,
    ...(whenWaitEnds && { whenWaitEnds }),
  });
  return { runner, mail };
}

/** A workflow's funnel from its enrolment records. */
export async function funnelOf(store: LocalStore["store"], workflow: WorkflowDefinition): Promise<WorkflowFunnel> {
  const enrolments: Enrolment[] = [];
  for await (const page of store.listEnrolments(workflow.id)) enrolments.push(...page);
  return workflowFunnel(workflow, enrolments);
}

/** The funnel as the marketer reads it. */
export function funnelReport(funnel: WorkflowFunnel, mailSent: number, money: (n: number) => string): string[] {
  const share = (n: number) => (funnel.enrolled > 0 ? ` (${((100 * n) / funnel.enrolled).toFixed(0)} %)` : "");
  return [
    `Workflow "${funnel.name}"`,
    `  enrolled                 ${String(funnel.enrolled).padStart(6)}`,
    `  coupons assigned         ${String(funnel.couponsAssigned).padStart(6)}${share(funnel.couponsAssigned)}${funnel.outOfStock ? `, ${funnel.outOfStock} out of stock` : ""}`,
    `  coupon e-mails sent      ${String(funnel.emailsSent).padStart(6)}${share(funnel.emailsSent)}`,
    `  purchased within 7 days  ${String(funnel.purchasedInWindow).padStart(6)}${share(funnel.purchasedInWindow)}, ${money(funnel.revenueInWindow)}`,
    `  reminded                 ${String(funnel.reminded).padStart(6)}${share(funnel.reminded)}`,
    `  mail in the local SES    ${String(mailSent).padStart(6)}`,
  ];
}
