import { purchasesBetween, dayNumber } from "../clv/order-history.js";
import type { CouponOutcome } from "../coupons/coupon-assignment.js";
import { sendWorkflowEmail, type EmailDependencies, type SendOutcome } from "../email/send-workflow-email.js";
import type { EmailTemplate } from "../email/template.js";
import type { ContactProfile } from "../store/contact.js";
import type { StoredContact } from "../store/ports.js";
import { mailPermission } from "../store/subscription.js";
import { executionName, isHeldOut, mayEnrol, type Enrolment, type WorkflowOutcome } from "./enrolment.js";
import type { WorkflowDefinition } from "./workflow-definition.js";

/** The enrolment records (WORKFLOW#<id> / CONTACT#<id>). */
export interface EnrolmentStore {
  getEnrolment(workflowId: string, contactId: string): Promise<Enrolment | undefined>;
  /** Up to 100 contacts' enrolments in one read (BatchGetItem), by contact id. */
  getEnrolments(workflowId: string, contactIds: readonly string[]): Promise<Map<string, Enrolment>>;
  /**
   * Writes a new enrolment unless another got there first: conditional on no enrolment, or on the
   * one read before (`replacing`) still being there. False when the condition failed.
   */
  putEnrolment(enrolment: Enrolment, replacing?: Pick<Enrolment, "enrolledAt">): Promise<boolean>;
  updateEnrolment(workflowId: string, contactId: string, fields: Partial<Omit<Enrolment, "workflowId" | "contactId">>): Promise<void>;
  listEnrolments(workflowId: string): AsyncIterable<Enrolment[]>;
}

export interface CouponAssigner {
  assignCoupon(setId: string, contactId: string, now: number): Promise<CouponOutcome>;
}

/** What an execution starts with. */
export interface WorkflowExecutionInput {
  contactId: string;
  enrolledAt: string;
  /** The contact is in the workflow's control group: the state machine takes the held-out path. */
  heldOut: boolean;
}

/** Starts a workflow's execution under a name; starting the same name again is a no-op. */
export interface WorkflowStarter {
  start(workflow: WorkflowDefinition, name: string, input: WorkflowExecutionInput): Promise<"started" | "already-started">;
}

export interface EnrolResult {
  enrolled: string[];
  /** Enrolled before and not yet due again (once per workflow, or within the cool-down). */
  skipped: number;
}

/** Enrolments read at once (BatchGetItem's 100 keys), and written and started at once. */
export const ENROL_BATCH = 100;

/**
 * Enrols contacts (members after the night, or a contact that just entered the segment), 100 at a
 * time: their enrolments read in one request, then for each one due an enrolment record (a
 * conditional write: another enrolment that got there first wins) and the execution named after it.
 * The execution's first step marks the record started; a record not started (the start was lost to a
 * crash) is started again under the same name, which Step Functions treats as the same execution.
 * So a member costs 1/100 of a read request, a write and a start.
 */
export async function enrolContacts(workflow: WorkflowDefinition, contactIds: Iterable<string>, deps: { enrolments: EnrolmentStore; starter: WorkflowStarter }, now: number): Promise<EnrolResult> {
  const result: EnrolResult = { enrolled: [], skipped: 0 };
  const ids = [...new Set(contactIds)];
  for (let from = 0; from < ids.length; from += ENROL_BATCH) {
    const batch = ids.slice(from, from + ENROL_BATCH);
    const previous = await deps.enrolments.getEnrolments(workflow.id, batch);
    const due = await Promise.all(
      batch.map(async (contactId): Promise<Enrolment | undefined> => {
        const before = previous.get(contactId);
        if (before && before.outcome === undefined && !before.started) return before;
        if (!mayEnrol(before, workflow, now)) return undefined;
        const enrolledAt = new Date(now).toISOString();
        const enrolment: Enrolment = { workflowId: workflow.id, contactId, enrolledAt, executionName: executionName(workflow.id, contactId, enrolledAt), heldOut: isHeldOut(workflow, contactId) };
        return (await deps.enrolments.putEnrolment(enrolment, before)) ? enrolment : undefined;
      }),
    );
    for (const enrolment of due) {
      if (!enrolment) {
        result.skipped++;
        continue;
      }
      // One at a time: the starter paces the starts under Step Functions' quota. An execution already
      // there (its first step has not marked the record yet) is the same enrolment.
      const started = await deps.starter.start(workflow, enrolment.executionName, {
        contactId: enrolment.contactId,
        enrolledAt: enrolment.enrolledAt,
        heldOut: enrolment.heldOut ?? isHeldOut(workflow, enrolment.contactId),
      });
      if (started === "started") result.enrolled.push(enrolment.contactId);
      else result.skipped++;
    }
  }
  return result;
}

/** Step "Assign coupon": one code per contact per set; anything but a code ends the workflow, recorded. */
export async function assignCouponStep(
  request: { workflowId: string; couponSetId: string; contactId: string },
  deps: { coupons: CouponAssigner; enrolments: EnrolmentStore },
  now: number,
): Promise<CouponOutcome> {
  const outcome = await deps.coupons.assignCoupon(request.couponSetId, request.contactId, now);
  await deps.enrolments.updateEnrolment(
    request.workflowId,
    request.contactId,
    // The execution's first Lambda step (this or "Record not in segment") marks the enrolment started.
    outcome.status === "assigned"
      ? { started: true, couponCode: outcome.code, couponExpiresAt: outcome.expiresAt }
      : { started: true, outcome: "out-of-coupons", error: `coupon set ${request.couponSetId}: ${outcome.status}`, finishedAt: new Date(now).toISOString() },
  );
  return outcome;
}

export type EmailStep = "coupon" | "reminder";

/** The e-mail templates by name (emails/<name>/, loaded and checked by the adapter); an unknown name throws. */
export type EmailTemplates = (name: string) => EmailTemplate;

/**
 * Step "Send the coupon e-mail" / "Send the reminder": idempotent per execution and step (the key is
 * `<execution>#<step>`), so a retried step never sends twice; a contact no longer subscribed, or
 * without an address, gets nothing and the enrolment says why.
 */
export async function sendEmailStep(
  request: { workflowId: string; step: EmailStep; templateId: string; contactId: string; executionName: string; coupon: { code: string; expiresAt: string } },
  deps: { email: EmailDependencies; enrolments: EnrolmentStore; templates: EmailTemplates },
  now: number,
): Promise<{ sent: boolean; outcome: SendOutcome["outcome"] }> {
  const template = deps.templates(request.templateId);
  const sent = await sendWorkflowEmail(
    {
      contactId: request.contactId,
      template,
      variables: { couponCode: request.coupon.code, couponExpiresAt: request.coupon.expiresAt },
      idempotencyKey: `${request.executionName}#${request.step}`,
      workflowId: request.workflowId,
      now,
    },
    deps.email,
  );
  const at = new Date(now).toISOString();
  const delivered = sent.outcome === "sent" || sent.outcome === "already-sent";
  const skipped: WorkflowOutcome = sent.outcome === "skipped-no-email" ? "no-email" : "unsubscribed";
  await deps.enrolments.updateEnrolment(
    request.workflowId,
    request.contactId,
    delivered ? (request.step === "coupon" ? { couponEmailSentAt: at } : { reminderSentAt: at, outcome: "reminded", finishedAt: at }) : { outcome: skipped, finishedAt: at },
  );
  return { sent: delivered, outcome: sent.outcome };
}

/**
 * Step "Check the held-out contact": the control group passes the same checks the send step makes
 * (an address, a subscription) so that both groups compare like with like; one who would not have
 * been mailed ends here as the mailed one would, and the rest wait and are measured.
 */
export async function holdOutStep(
  request: { workflowId: string; contactId: string },
  deps: { contacts: { getContactProfile(contactId: string): Promise<ContactProfile | undefined> }; enrolments: EnrolmentStore },
  now: number,
): Promise<{ mailable: boolean }> {
  const profile = await deps.contacts.getContactProfile(request.contactId);
  // The send step's own decision on consent (mailPermission), taken at the same point of the workflow.
  const ended: WorkflowOutcome | undefined = profile?.email === undefined ? "no-email" : !mailPermission(profile).mayMail ? "unsubscribed" : undefined;
  await deps.enrolments.updateEnrolment(request.workflowId, request.contactId, ended ? { heldOut: true, outcome: ended, finishedAt: new Date(now).toISOString() } : { heldOut: true });
  return { mailable: ended === undefined };
}

/** Step "Check purchases": orders in the last `windowDays` days (purchase days, from the contact's summary) and their revenue. */
export async function checkPurchasesStep(
  request: { workflowId: string; contactId: string; windowDays: number },
  deps: { contacts: { getContact(contactId: string): Promise<StoredContact | undefined> }; enrolments: EnrolmentStore },
  now: number,
): Promise<{ purchased: boolean; orders: number; revenue: number }> {
  const history = (await deps.contacts.getContact(request.contactId))?.history;
  const today = dayNumber(now);
  const fromDay = today - request.windowDays;
  let revenue = 0;
  if (history) history.purchaseDays.forEach((day, i) => day > fromDay && day <= today && (revenue += history.dayRevenue[i]!));
  const orders = history ? purchasesBetween(history, fromDay, today) : 0;
  const result = { purchased: orders > 0, orders, revenue };
  await deps.enrolments.updateEnrolment(request.workflowId, request.contactId, { purchasedInWindow: result.purchased, ordersInWindow: orders, revenueInWindow: revenue });
  return result;
}

/** The end of a path that sends nothing more: record how it ended. */
export async function recordOutcomeStep(
  request: { workflowId: string; contactId: string; outcome: WorkflowOutcome; error?: string },
  deps: { enrolments: EnrolmentStore },
  now: number,
): Promise<{ outcome: WorkflowOutcome }> {
  await deps.enrolments.updateEnrolment(request.workflowId, request.contactId, {
    started: true,
    outcome: request.outcome,
    finishedAt: new Date(now).toISOString(),
    ...(request.error !== undefined && { error: request.error.slice(0, 1000) }),
  });
  return { outcome: request.outcome };
}
