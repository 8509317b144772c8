import { createHash } from "node:crypto";
import { CouponStore } from "../../adapters/dynamodb/coupon-store.js";
import { DynamoDbSendLog } from "../../adapters/dynamodb/send-log.js";
import { SesMailer } from "../../adapters/ses/ses-mailer.js";
import { EmailSettings } from "../../domain/email/send-workflow-email.js";
import type { WorkflowFunnel } from "../../domain/report/workflow-funnel.js";
import { workflowStatusOf } from "../../domain/workflows/workflow-status.js";
import type { WorkflowDefinition } from "../../domain/workflows/workflow-definition.js";
import { profileKey } from "../../domain/store/table-keys.js";
import { loadWorkflows, shippedWorkflow } from "../../adapters/files/workflow-files.js";
import { handleContactChanges } from "../../handlers/contact-changes.js";
import { startLocalMail, type LocalMail } from "../local-mail.js";
import type { LocalStore } from "../local-store.js";
import { LocalWorkflows, type LocalWorkflowDependencies } from "../local-workflows.js";
import { LOCAL_API_PORT, LOCAL_STORE, localUnsubscribeSecret } from "../local-settings.js";

const DAY = 86_400_000;

/**
 * The demo's workflow (workflows/low-clv-relative-reactivation.json): the Low CLV workflow on the
 * segment at the store's own scale (a quarter of its average predicted CLV): Online Retail sells to
 * wholesalers, and few contacts' predicted CLV is under £100 (23 with MBG/CNBD-k), so the article's fixed
 * threshold finds almost no one.
 */
export const demoWorkflow: WorkflowDefinition = shippedWorkflow("low-clv-relative-reactivation");

export interface DemoWorkflowSetup {
  runner: LocalWorkflows;
  mail: LocalMail;
  workflows: readonly WorkflowDefinition[];
  funnel(): Promise<WorkflowFunnel>;
  stop(): Promise<void>;
}

/**
 * Whether a contact buys again during the wait, the same ones on every run: the demo's made-up
 * customers answer the coupon, about one in four of the mailed ones and one in five of the held-out.
 */
const buysDuringTheWait = (contactId: string, heldOut: boolean) => createHash("sha256").update(contactId).digest()[0]! < (heldOut ? 51 : 64);

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
  const { runner, mail } = await localWorkflowRunner(local, [demoWorkflow], asOf, async ({ contactId, heldOut }) => {
    if (!buysDuringTheWait(contactId, heldOut)) return;
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

/** The local store's e-mail settings: its name and links, `npm run serve`'s unsubscribe route and secret (local-settings.ts). */
export function localEmailSettings(): EmailSettings {
  return EmailSettings.parse({
    from: LOCAL_STORE.from,
    storeName: LOCAL_STORE.name,
    storeUrl: LOCAL_STORE.url,
    couponUrl: LOCAL_STORE.couponUrl,
    unsubscribeUrl: `http://127.0.0.1:${LOCAL_API_PORT}/unsubscribe`,
    unsubscribeSecret: localUnsubscribeSecret(),
    timeZone: LOCAL_STORE.timeZone,
  });
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
  onExecutionEnd?: LocalWorkflowDependencies["onExecutionEnd"],
): Promise<{ runner: LocalWorkflows; mail: LocalMail }> {
  const mail = await startLocalMail();
  const email = {
    contacts: local.store,
    // SendEmail handed to the local SES in its thread (LocalMail.sesClient), through the Lambda's own mailer.
    mailer: new SesMailer(mail.sesClient()),
    sendLog: new DynamoDbSendLog(local.client, local.tableName),
    settings: localEmailSettings(),
  };
  const runner = new LocalWorkflows(workflows, {
    store: local.store,
    client: local.client,
    tableName: local.tableName,
    coupons: new CouponStore(local.client, local.tableName),
    email,
    clock: () => now,
    ...(whenWaitEnds && { whenWaitEnds }),
    ...(onExecutionEnd && { onExecutionEnd }),
  });
  return { runner, mail };
}

/**
 * The funnel and lift of each workflow file that has enrolled anyone, for the report. The files are
 * checked against the built-in segments and those the table defines.
 */
export async function enrolledWorkflowFunnels(store: LocalStore["store"], dir?: string): Promise<WorkflowFunnel[]> {
  const workflows = loadWorkflows({ ...(dir !== undefined && { dir }), extraSegments: (await store.listSegmentDefinitions()).map((s) => s.id) });
  const funnels = await Promise.all(workflows.map((w) => funnelOf(store, w)));
  return funnels.filter((f) => f.enrolled > 0);
}

/** A workflow's funnel from its enrolment records. */
export async function funnelOf(store: LocalStore["store"], workflow: WorkflowDefinition): Promise<WorkflowFunnel> {
  return (await workflowStatusOf(workflow, store.listEnrolments(workflow.id))).funnel;
}

/** The funnel as the marketer reads it, then the lift: mailed against held out. */
export function funnelReport(funnel: WorkflowFunnel, mailSent: number | undefined, money: (n: number) => string): string[] {
  const share = (n: number) => (funnel.enrolled > 0 ? ` (${((100 * n) / funnel.enrolled).toFixed(0)} %)` : "");
  const row = (label: string, n: number, rest = "") => `  ${label.padEnd(30)} ${String(n).padStart(6)}${rest}`;
  return [
    `Workflow "${funnel.name}" (${funnel.workflowId})`,
    row("enrolled", funnel.enrolled),
    row("held out (control group)", funnel.heldOut, share(funnel.heldOut)),
    row("coupons assigned", funnel.couponsAssigned, `${share(funnel.couponsAssigned)}${funnel.outOfStock ? `, ${funnel.outOfStock} out of stock` : ""}`),
    row("coupon e-mails sent", funnel.emailsSent, share(funnel.emailsSent)),
    row(`purchased within ${funnel.window}`, funnel.purchasedInWindow, `${share(funnel.purchasedInWindow)}, ${money(funnel.revenueInWindow)}`),
    row("reminded", funnel.reminded, share(funnel.reminded)),
    ...(mailSent === undefined ? [] : [row("mail in the local SES", mailSent)]),
    ...liftReport(funnel, money),
  ];
}

const signed = (n: number, format: (n: number) => string) => (n < 0 ? `−${format(-n)}` : `+${format(n)}`);
const points = (p: number) => `${(100 * p).toFixed(1)} pts`;

/** Mailed against held out within the window, with the 95 % intervals of what the workflow added. */
export function liftReport(funnel: WorkflowFunnel, money: (n: number) => string): string[] {
  const { lift } = funnel;
  const pct = (r: number | null) => (r === null ? "—" : `${(100 * r).toFixed(1)} %`);
  const group = (label: string, g: typeof lift.mailed) =>
    `    ${label.padEnd(10)} ${String(g.contacts).padStart(8)} ${String(g.converted).padStart(10)} ${pct(g.conversionRate).padStart(11)} ${(g.revenuePerContact === null ? "—" : money(g.revenuePerContact)).padStart(16)}`;
  const lines = [
    `  Lift within ${funnel.window} (contacts whose window has ended)`,
    `    ${"".padEnd(10)} ${"contacts".padStart(8)} ${"converted".padStart(10)} ${"conversion".padStart(11)} ${"revenue/contact".padStart(16)}`,
    group("mailed", lift.mailed),
    group("held out", lift.heldOut),
  ];
  const ci = (i: { low: number; high: number }, format: (n: number) => string) => `95 % CI ${signed(i.low, format)} to ${signed(i.high, format)}`;
  const count = (n: number) => n.toFixed(1);
  if (lift.conversionDifference && lift.incrementalConversions) {
    lines.push(`    conversion: ${signed(lift.conversionDifference.estimate, points)} (${ci(lift.conversionDifference, points)})`);
    lines.push(`    incremental buyers: ${signed(lift.incrementalConversions.estimate, count)} (${ci(lift.incrementalConversions, count)})`);
  } else lines.push("    conversion: not measurable yet (no mailed or no held-out contact has finished its window)");
  if (lift.revenuePerContactDifference && lift.incrementalRevenue) {
    lines.push(`    revenue per contact: ${signed(lift.revenuePerContactDifference.estimate, money)} (${ci(lift.revenuePerContactDifference, money)})`);
    lines.push(`    incremental revenue: ${signed(lift.incrementalRevenue.estimate, money)} (${ci(lift.incrementalRevenue, money)})`);
  } else lines.push("    revenue: not measurable yet (fewer than two contacts in a group)");
  lines.push(`    intervals: ${lift.methods.conversion}; ${lift.methods.revenue}`);
  return lines;
}
