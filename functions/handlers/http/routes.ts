import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { CouponSetId, couponCodesBody } from "../../domain/coupons/coupon-set.js";
import { CouponImportBusyError, type CouponSets } from "../../domain/coupons/coupon-sets.js";
import { ContactId, contactInput } from "../../domain/store/contact.js";
import { contactAnswer } from "../../domain/store/contact-view.js";
import { DEFAULT_STORE_CURRENCY } from "../../domain/store/money.js";
import { EmailEventInput } from "../../domain/store/email-event.js";
import { roundToMinorUnit } from "../../domain/store/money.js";
import { netTotal, orderInput, type OrderRules } from "../../domain/store/order.js";
import { OrderConflictError } from "../../domain/store/order-conflict.js";
import { contendedMessage, lateRefundMessage, refundTaken, summaryFullMessage, type RefundChange } from "../../domain/store/record-order.js";
import type { StoreData } from "../../domain/store/ports.js";
import { verifyUnsubscribeToken, type TokenCheck } from "../../domain/store/unsubscribe-token.js";
import { applyMailFeedback } from "../../domain/email/mail-feedback.js";
import { bodyText, HttpError, json, parseBody, respond } from "./http-json.js";
import { CHOICE_FIELD, choices, unsubscribePage } from "./unsubscribe-pages.js";
import { SegmentDefinition, SegmentNotFoundError } from "../../domain/segments/segment-definition.js";
import { ExportId, type SegmentExports } from "../../domain/segments/segment-export-job.js";
import type { WorkflowDefinition } from "../../domain/workflows/workflow-definition.js";
import type { EnrolmentStore } from "../../domain/workflows/workflow-steps.js";
import { workflowStatusOf } from "../../domain/workflows/workflow-status.js";

export interface HttpDependencies {
  store: StoreData;
  clock: () => number;
  /** The store's currency and earliest order date (DEFAULT_STORE_CURRENCY, 1995-01-01 when not given). */
  orderRules?: Omit<OrderRules, "now">;
  unsubscribeSecret: () => Promise<string>;
  /** Coupon sets (CouponStore over the same table); without them the coupon routes answer 501. */
  coupons?: CouponSets;
  /** Segment exports as jobs (the CSV in the exports bucket, or .out/exports locally); without them the export routes answer 501. */
  exports?: SegmentExports;
  /** The store as its unsubscribe pages name it; "The shop" when not given. */
  storeName?: string;
  /** The workflows the deployment runs: where GET /contacts/{id} looks for enrolments and DELETE erases them. */
  workflowIds?: readonly string[];
  /**
   * The workflows deployed, with where their enrolment records are read: GET /workflows and
   * GET /workflows/{id} answer their funnel and lift. Without them the list is empty.
   */
  workflows?: { definitions: () => Promise<readonly WorkflowDefinition[]>; enrolments: Pick<EnrolmentStore, "listEnrolments"> };
}

type Route = (event: APIGatewayProxyEventV2, deps: HttpDependencies) => Promise<APIGatewayProxyStructuredResultV2>;

/** The contact id in the path, or a 400 naming it. */
function contactIdOf(event: APIGatewayProxyEventV2): string {
  const id = ContactId.safeParse(event.pathParameters?.id);
  if (!id.success) throw new HttpError(400, { error: "invalid path", fields: [{ field: "id", message: id.error.issues[0]!.message }] });
  return id.data;
}

/**
 * PUT /contacts/{id}: create or replace a contact's profile. Its subscription follows the consent
 * rules (domain/store/subscription.ts): the answer is the profile as stored, and `notes` say in words
 * where the subscription is not what the body said (a consent older than the contact's opt-out).
 */
export const putContact: Route = (event, { store, clock }) =>
  respond(async () => {
    const id = contactIdOf(event);
    const contact = parseBody(contactInput(clock), event);
    const { profile, notes } = await store.putContact(id, contact, "api");
    return json(200, { ...profile, notes });
  });

/** GET /contacts/{id}: the profile with its subscription and history, order summary, latest scores, segments, enrolments. */
export const getContact: Route = (event, { store, workflowIds, orderRules }) =>
  respond(async () => {
    const id = contactIdOf(event);
    const view = await store.getContactView(id, workflowIds ?? []);
    if (!view) throw new HttpError(404, { error: `no contact "${id}"` });
    return json(200, contactAnswer(view, orderRules?.storeCurrency ?? DEFAULT_STORE_CURRENCY));
  });

/**
 * DELETE /contacts/{id}: erasure (GDPR art. 17). The person's data goes; orders stay under an
 * anonymous id so the store's figures do not change; the address stays only as a hash that keeps a
 * later import of it from being mailed without a new consent (domain/store/contact-erasure.ts).
 */
export const deleteContact: Route = (event, { store, workflowIds }) =>
  respond(async () => {
    const id = contactIdOf(event);
    const report = await store.eraseContact(id, workflowIds ?? []);
    if (!report) throw new HttpError(404, { error: `no contact "${id}"` });
    return json(200, { erased: true, ...report });
  });

/**
 * POST /orders: an order, or its cancellation or refund; re-sending is safe (200 instead of 201). With
 * `refundedAmount` (refunded to date), a re-send that refunds more answers 200 `refunded` with what it
 * took off the contact's revenue; an older, smaller one answers 200 `late-refund` and changes nothing.
 */
export const postOrder: Route = (event, { store, clock, orderRules }) =>
  respond(async () => {
    const order = parseBody(orderInput({ ...orderRules, now: clock }), event);
    let outcome;
    const refund: RefundChange = {};
    try {
      outcome = await store.recordOrder(order, refund);
    } catch (error) {
      if (error instanceof OrderConflictError) throw new HttpError(409, { error: error.message, orderId: order.id, fields: error.differences });
      throw error;
    }
    if (outcome === "summary-full") throw new HttpError(422, { error: summaryFullMessage(order.contactId), orderId: order.id, fields: [{ field: "contactId", message: "the contact's order summary is full" }] });
    // Other senders kept writing the contact: nothing is wrong with the order, and sending it again is safe.
    if (outcome === "contended") throw new HttpError(503, { error: contendedMessage(order.contactId), orderId: order.id, retry: true });
    // The total as the store counts it, in its currency: what an order in another currency became.
    const answer: Record<string, unknown> = { orderId: order.id, outcome, total: order.total, currency: order.currency };
    if (order.refundedAmount !== undefined) Object.assign(answer, { status: order.status, refundedAmount: order.refundedAmount, netTotal: order.status === "placed" ? netTotal(order) : 0 });
    if (outcome === "refunded") {
      const taken = refundTaken(refund, order.currency);
      Object.assign(answer, { refunded: taken, message: `refunded ${taken} ${order.currency} more (${order.refundedAmount} to date): the contact's revenue is ${taken} lower` });
    }
    // A late webhook: the larger refund to date the store has stays, and the answer says which.
    if (outcome === "late-refund") Object.assign(answer, { refundedAmount: refund.stored, sentRefundedAmount: order.refundedAmount, netTotal: roundToMinorUnit(order.total - (refund.stored ?? 0), order.currency), message: lateRefundMessage(order.id, refund) });
    return json(outcome === "recorded" ? 201 : 200, answer);
  });

/**
 * POST /events: an e-mail was sent, opened, clicked, bounced or complained about. A bounce or a
 * complaint goes the way SES's own feedback goes (applyMailFeedback), so both follow the same rules.
 */
export const postEvent: Route = (event, { store }) =>
  respond(async () => {
    const emailEvent = parseBody(EmailEventInput, event);
    if (emailEvent.type === "bounced" || emailEvent.type === "complained") await applyMailFeedback({ ...emailEvent, type: emailEvent.type }, store);
    else await store.recordEmailEvent(emailEvent);
    return json(202, { accepted: true });
  });

const STORE_NAME = "The shop";

async function checkToken(event: APIGatewayProxyEventV2, { clock, unsubscribeSecret }: HttpDependencies): Promise<{ token?: string; check: TokenCheck }> {
  const token = event.queryStringParameters?.token;
  if (!token) return { check: { valid: false, reason: "missing token" } };
  return { token, check: verifyUnsubscribeToken(token, clock(), { secret: await unsubscribeSecret() }) };
}

const invalidPage = (check: Extract<TokenCheck, { valid: false }>) => ({
  kind: "invalid" as const,
  reason: check.reason === "missing token" ? ("missing" as const) : check.reason === "expired token" ? ("expired" as const) : ("invalid" as const),
});

/**
 * GET /unsubscribe?token=…: the page the footer link opens, in the store's name, with one button that
 * POSTs the unsubscribe. A GET changes nothing: mail scanners and link previews fetch every link.
 */
export const getUnsubscribe: Route = (event, deps) =>
  respond(async () => {
    const { token, check } = await checkToken(event, deps);
    const storeName = deps.storeName ?? STORE_NAME;
    return check.valid ? unsubscribePage({ kind: "ask" }, storeName, token) : unsubscribePage(invalidPage(check), storeName);
  });

/** RFC 8058 §3.1: the body a mail client posts, URL-encoded or as multipart/form-data. */
function isOneClick(body: string): boolean {
  return /(^|&)List-Unsubscribe=One-Click(&|$)/.test(body.trim()) || /name="?List-Unsubscribe"?\s*\r?\n\r?\n\s*One-Click\s*(\r?\n|$)/.test(body);
}

/**
 * POST /unsubscribe?token=…: the signed token, not an API key, says who.
 * - `List-Unsubscribe=One-Click` (RFC 8058, posted by the mail client; or no body): unsubscribes, answers JSON.
 * - `choice=unsubscribe` (the page's button): unsubscribes, answers the confirmation page with "I changed my mind".
 * - `choice=resubscribe` ("I changed my mind"): a new consent, now; answers a page saying so.
 * An unknown contact (erased, say) gets the same answers and nothing is written: no page tells who exists.
 */
export const postUnsubscribe: Route = (event, deps) =>
  respond(async () => {
    const { store, clock } = deps;
    const storeName = deps.storeName ?? STORE_NAME;
    const body = bodyText(event);
    const choice = new URLSearchParams(body).get(CHOICE_FIELD);
    const fromPage = choice === choices.unsubscribe || choice === choices.resubscribe;
    if (!fromPage && body.trim() !== "" && !isOneClick(body)) throw new HttpError(400, { error: `expected List-Unsubscribe=One-Click, or ${CHOICE_FIELD}=${choices.unsubscribe}|${choices.resubscribe}` });
    const { token, check } = await checkToken(event, deps);
    if (!check.valid) {
      if (fromPage) return unsubscribePage(invalidPage(check), storeName);
      throw new HttpError(check.reason === "missing token" ? 400 : 403, { error: check.reason });
    }
    const at = new Date(clock()).toISOString();
    if (choice === choices.resubscribe) {
      const result = await store.changeSubscription(check.contactId, { type: "consent", via: "link", at });
      return unsubscribePage({ kind: !result || result.state.subscription === "subscribed" ? "resubscribed" : "not-resubscribed" }, storeName, token);
    }
    await store.changeSubscription(check.contactId, { type: "opt-out", via: fromPage ? "link" : "one-click", at });
    return fromPage ? unsubscribePage({ kind: "unsubscribed" }, storeName, token) : json(200, { unsubscribed: true });
  });

/**
 * POST /coupon-sets/{id}/codes: creates the set or changes its expiry (and name, threshold), and adds
 * codes to it; codes it has already are skipped, so re-sending is safe (200 instead of 201).
 */
export const postCouponCodes: Route = (event, { coupons, clock }) =>
  respond(async () => {
    if (!coupons) throw new HttpError(501, { error: "coupon sets are not set up in this deployment" });
    const id = CouponSetId.safeParse(event.pathParameters?.id);
    if (!id.success) throw new HttpError(400, { error: "invalid path", fields: [{ field: "id", message: id.error.issues[0]!.message }] });
    const { codes, ...definition } = parseBody(couponCodesBody(clock), event);
    const set = await coupons.createCouponSet({ id: id.data, ...definition });
    try {
      const result = await coupons.importCodes(id.data, codes);
      return json(result.imported > 0 ? 201 : 200, { setId: id.data, set, ...result, stock: await coupons.couponStock(id.data) });
    } catch (error) {
      if (error instanceof CouponImportBusyError) throw new HttpError(409, { error: error.message });
      throw error;
    }
  });

const noExports = () => new HttpError(501, { error: "segment exports are not set up in this deployment" });

/**
 * POST /segments/{id}/export[?mailable=true]: starts an export of the segment's members with e-mail,
 * subscription and every figure as CSV (with mailable, only those that may be mailed now), and answers
 * 202 at once with the export's id and where to ask for it: a million members take longer to write than
 * a request may last. An unknown segment is 404 here, not a failed export later.
 */
export const postSegmentExport: Route = (event, { exports }) =>
  respond(async () => {
    if (!exports) throw noExports();
    const id = SegmentDefinition.shape.id.safeParse(event.pathParameters?.id);
    if (!id.success) throw new HttpError(400, { error: "invalid path", fields: [{ field: "id", message: id.error.issues[0]!.message }] });
    const mailable = event.queryStringParameters?.mailable;
    if (mailable !== undefined && mailable !== "true" && mailable !== "false") throw new HttpError(400, { error: "invalid query", fields: [{ field: "mailable", message: "must be true or false" }] });
    try {
      const job = await exports.request(id.data, { mailable: mailable === "true" });
      const statusUrl = `/exports/${job.exportId}`;
      return { ...json(202, { exportId: job.exportId, segmentId: job.segmentId, mailable: job.mailable, status: job.status, requestedAt: job.requestedAt, statusUrl }), headers: { "content-type": "application/json", location: statusUrl } };
    } catch (error) {
      if (error instanceof SegmentNotFoundError) throw new HttpError(404, { error: error.message });
      throw error;
    }
  });

/** GET /workflows: each workflow deployed, once, with its funnel and lift (as `clv workflows list`). */
export const listWorkflows: Route = (_event, { workflows }) =>
  respond(async () => {
    const definitions = (await workflows?.definitions()) ?? [];
    const statuses = await Promise.all(definitions.map((w) => workflowStatusOf(w, workflows!.enrolments.listEnrolments(w.id))));
    return json(200, { workflows: statuses });
  });

/**
 * GET /workflows/{id}: the workflow, its funnel and its lift (mailed against held out: conversion in the
 * window, revenue per contact, incremental conversions and revenue with 95 % intervals), and how its
 * enrolments ended: what `clv workflows status` prints. An unknown id → 404 naming the ids there are.
 */
export const getWorkflow: Route = (event, { workflows }) =>
  respond(async () => {
    const id = event.pathParameters?.id ?? "";
    const definitions = (await workflows?.definitions()) ?? [];
    const workflow = definitions.find((w) => w.id === id);
    if (!workflow) {
      const ids = definitions.map((w) => w.id);
      throw new HttpError(404, { error: `no workflow "${id}"; the workflows are: ${ids.join(", ") || "none"}`, workflows: ids });
    }
    return json(200, await workflowStatusOf(workflow, workflows!.enrolments.listEnrolments(workflow.id)));
  });

/**
 * GET /exports/{id}: the export's state. Pending or running: 200 {status: "running"}; done: 200 with a
 * pre-signed link to the CSV, its expiry and the rows; failed: 200 with the reason; the file deleted
 * after the bucket's retention: 410; no such export: 404.
 */
export const getExport: Route = (event, { exports }) =>
  respond(async () => {
    if (!exports) throw noExports();
    const id = ExportId.safeParse(event.pathParameters?.id);
    if (!id.success) throw new HttpError(404, { error: `no export "${event.pathParameters?.id ?? ""}"` });
    const answer = await exports.answer(id.data);
    if (!answer) throw new HttpError(404, { error: `no export "${id.data}"` });
    return json(answer.statusCode, answer.body);
  });

/** The routes by API Gateway route key. */
export const routes: Record<string, Route> = {
  "PUT /contacts/{id}": putContact,
  "GET /contacts/{id}": getContact,
  "DELETE /contacts/{id}": deleteContact,
  "POST /orders": postOrder,
  "POST /events": postEvent,
  "GET /unsubscribe": getUnsubscribe,
  "POST /unsubscribe": postUnsubscribe,
  "POST /coupon-sets/{id}/codes": postCouponCodes,
  "POST /segments/{id}/export": postSegmentExport,
  "GET /workflows": listWorkflows,
  "GET /workflows/{id}": getWorkflow,
  "GET /exports/{id}": getExport,
};

/** The routes that a signed token protects instead of an API key. */
export const publicRoutes = new Set(["GET /unsubscribe", "POST /unsubscribe"]);
