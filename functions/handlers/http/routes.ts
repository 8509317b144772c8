import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { CouponSetId, couponCodesBody } from "../../domain/coupons/coupon-set.js";
import { CouponImportBusyError, type CouponSets } from "../../domain/coupons/coupon-sets.js";
import { ContactId, ContactInput } from "../../domain/store/contact.js";
import { EmailEventInput } from "../../domain/store/email-event.js";
import { orderInput, type OrderRules } from "../../domain/store/order.js";
import type { StoreData } from "../../domain/store/ports.js";
import { verifyUnsubscribeToken } from "../../domain/store/unsubscribe-token.js";
import { bodyText, HttpError, json, parseBody, respond } from "./http-json.js";
import { SegmentDefinition } from "../../domain/segments/segment-definition.js";
import { SegmentNotFoundError } from "../../adapters/csv/segment-csv.js";
import type { SegmentExportLink } from "../../adapters/s3/segment-export.js";

export interface HttpDependencies {
  store: StoreData;
  clock: () => number;
  /** The store's currency and earliest order date (DEFAULT_STORE_CURRENCY, 1995-01-01 when not given). */
  orderRules?: Omit<OrderRules, "now">;
  unsubscribeSecret: () => Promise<string>;
  /** Coupon sets (CouponStore over the same table); without them the coupon routes answer 501. */
  coupons?: CouponSets;
  /** A segment's members as CSV in the exports bucket, with a pre-signed link; without it the export route answers 501. */
  exportSegment?: (segmentId: string, options?: { mailable?: boolean }) => Promise<SegmentExportLink>;
}

type Route = (event: APIGatewayProxyEventV2, deps: HttpDependencies) => Promise<APIGatewayProxyStructuredResultV2>;

/** PUT /contacts/{id}: create or replace a contact's profile. */
export const putContact: Route = (event, { store }) =>
  respond(async () => {
    const id = ContactId.safeParse(event.pathParameters?.id);
    if (!id.success) throw new HttpError(400, { error: "invalid path", fields: [{ field: "id", message: id.error.issues[0]!.message }] });
    const contact = parseBody(ContactInput, event);
    return json(200, await store.putContact(id.data, contact));
  });

/** POST /orders: an order, or its cancellation or refund; re-sending is safe (200 instead of 201). */
export const postOrder: Route = (event, { store, clock, orderRules }) =>
  respond(async () => {
    const order = parseBody(orderInput({ ...orderRules, now: clock }), event);
    const outcome = await store.recordOrder(order);
    // The total as the store counts it, in its currency: what an order in another currency became.
    return json(outcome === "recorded" ? 201 : 200, { orderId: order.id, outcome, total: order.total, currency: order.currency });
  });

/** POST /events: an e-mail was sent, opened, clicked, bounced or complained about. */
export const postEvent: Route = (event, { store }) =>
  respond(async () => {
    const emailEvent = parseBody(EmailEventInput, event);
    await store.recordEmailEvent(emailEvent);
    // A hard bounce or a complaint means: never mail this address again.
    if (emailEvent.type === "bounced" || emailEvent.type === "complained") await store.setSubscription(emailEvent.contactId, "unsubscribed", emailEvent.at);
    return json(202, { accepted: true });
  });

/**
 * POST /unsubscribe?token=…: RFC 8058 one-click unsubscribe. The mail client posts
 * `List-Unsubscribe=One-Click`; the signed token, not an API key, says who.
 */
export const postUnsubscribe: Route = (event, { store, clock, unsubscribeSecret }) =>
  respond(async () => {
    const token = event.queryStringParameters?.token;
    if (!token) throw new HttpError(400, { error: "missing token" });
    const body = bodyText(event);
    if (body && !/(^|&)List-Unsubscribe=One-Click(&|$)/.test(body)) throw new HttpError(400, { error: "expected List-Unsubscribe=One-Click" });
    const check = verifyUnsubscribeToken(token, clock(), { secret: await unsubscribeSecret() });
    if (!check.valid) throw new HttpError(403, { error: check.reason });
    await store.setSubscription(check.contactId, "unsubscribed", new Date(clock()).toISOString());
    return json(200, { unsubscribed: true });
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

/**
 * POST /segments/{id}/export[?mailable=true]: the segment's members with e-mail, subscription and every
 * figure, as a CSV behind a link that expires; with mailable, only those that may be mailed now.
 */
export const postSegmentExport: Route = (event, { exportSegment }) =>
  respond(async () => {
    if (!exportSegment) throw new HttpError(501, { error: "segment exports are not set up in this deployment" });
    const id = SegmentDefinition.shape.id.safeParse(event.pathParameters?.id);
    if (!id.success) throw new HttpError(400, { error: "invalid path", fields: [{ field: "id", message: id.error.issues[0]!.message }] });
    try {
      const mailable = event.queryStringParameters?.mailable;
      if (mailable !== undefined && mailable !== "true" && mailable !== "false") throw new HttpError(400, { error: "invalid query", fields: [{ field: "mailable", message: "must be true or false" }] });
      return json(200, await exportSegment(id.data, { mailable: mailable === "true" }));
    } catch (error) {
      if (error instanceof SegmentNotFoundError) throw new HttpError(404, { error: error.message });
      throw error;
    }
  });

/** The routes by API Gateway route key. */
export const routes: Record<string, Route> = {
  "PUT /contacts/{id}": putContact,
  "POST /orders": postOrder,
  "POST /events": postEvent,
  "POST /unsubscribe": postUnsubscribe,
  "POST /coupon-sets/{id}/codes": postCouponCodes,
  "POST /segments/{id}/export": postSegmentExport,
};

/** The routes that a signed token protects instead of an API key. */
export const publicRoutes = new Set(["POST /unsubscribe"]);
