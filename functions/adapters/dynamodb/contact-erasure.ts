import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ContactScores } from "../../domain/clv/contact-scores.js";
import { anonymousContactId, type ErasureReport } from "../../domain/store/contact-erasure.js";
import { contactView, type ContactView } from "../../domain/store/contact-view.js";
import { addressKey } from "../../domain/store/subscription.js";
import {
  FixedKey,
  KeyPrefix,
  SummaryAttribute,
  SummaryPageAttribute,
  contactPk,
  couponAssignedKey,
  couponCodeKey,
  enrolmentKey,
  erasingKey,
  membershipsKey,
  ORDER_CLAIMS_VERSION,
  orderClaimKey,
  orderClaimSlot,
  profileKey,
  scoresKey,
  segmentMemberKey,
  SUMMARY_ID_MAX,
  summaryAttributeOf,
  summaryPageOf,
  suppressionKey,
  type TableKey,
} from "../../domain/store/table-keys.js";
import type { Enrolment } from "../../domain/workflows/enrolment.js";
import { contactRecord } from "./contact-items.js";
import { withSummaryPages } from "./order-summary.js";
import { chunks, inParallel } from "./table-batches.js";
import { isConditionFailed, withoutKey, type StoreTable } from "./table.js";

/*
 * While a contact is being erased: CONTACT#<id> / ERASING (erasingKey, table-keys.ts) holds the anonymous id its orders move to, so
 * that a retry after a failure moves everything to the same one (and counts no order twice). It is not
 * the PROFILE item, so writing it wakes no stream consumer that might rescore the contact mid-way.
 */

/** The order summary's attributes of a PROFILE item (order-summary.ts, page 0 of it): what the anonymous id keeps. */
const isSummaryAttribute = (name: string) =>
  name.startsWith(SummaryAttribute.counted) || name.startsWith(SummaryAttribute.removed) || name === "orderCount" || name === "revenue" || (Object.values(SummaryPageAttribute) as string[]).includes(name);

/**
 * The ids of a contact's orders: its order items', those its summary pages name as they are, and the
 * long ones a first load kept beside their hashes (a first load writes no order items; an id longer
 * than SUMMARY_ID_MAX is named in an entry by a hash only).
 */
function orderIdsOf(orders: readonly Record<string, unknown>[], pages: readonly Record<string, unknown>[]): string[] {
  const ids = new Set(orders.map((order) => String(order.id)));
  for (const page of pages) {
    for (const name in page) {
      const key = summaryAttributeOf(name)?.key;
      if (key !== undefined && key.length <= SUMMARY_ID_MAX) ids.add(key);
    }
    const longIds = page[SummaryPageAttribute.longIds];
    if (Array.isArray(longIds)) for (const id of longIds) if (typeof id === "string") ids.add(id);
  }
  return [...ids];
}

/**
 * GET /contacts/{id} and DELETE /contacts/{id}: everything about one contact, read or erased, across
 * the items that hold it (contact-erasure.ts in the domain says what erasure keeps and why).
 */
export class ContactRecords {
  constructor(private readonly table: StoreTable) {}

  async getContactView(contactId: string, workflowIds: readonly string[]): Promise<ContactView | undefined> {
    const items = await this.table.getItems([profileKey(contactId), scoresKey(contactId), membershipsKey(contactId), ...workflowIds.map((w) => enrolmentKey(w, contactId))]);
    const bySk = new Map(items.map((item) => [`${String(item.PK)}|${String(item.SK)}`, item]));
    const item = (key: TableKey) => bySk.get(`${key.PK}|${key.SK}`);
    const profileItem = item(profileKey(contactId));
    if (!profileItem) return undefined;
    const record = contactRecord((await withSummaryPages(this.table, [profileItem]))[0]!);
    const scores = item(scoresKey(contactId));
    const enrolments = workflowIds.map((w) => item(enrolmentKey(w, contactId))).filter((e) => e !== undefined);
    return contactView({
      contactId,
      ...(record.profile && { profile: record.profile }),
      ...(record.history && { history: record.history }),
      orderCount: record.orderCount,
      revenue: record.revenue,
      ...(scores && { scores: withoutKey(scores) as unknown as ContactScores & { scoredAt: string } }),
      memberships: (item(membershipsKey(contactId))?.memberships ?? {}) as Record<string, string>,
      enrolments: enrolments.map((e) => withoutKey(e) as unknown as Enrolment),
    });
  }

  /**
   * Erases a contact (GDPR art. 17) in steps that are each safe to repeat, so a failure part-way is
   * finished by asking again:
   * 1. the anonymous id is fixed (ERASING item);
   * 2. the address is kept as its SHA-256 only, as a suppression;
   * 3. orders and the order summary are copied to the anonymous id; enrolments and coupon assignments
   *    move to it (a workflow's funnel and a coupon set's stock stay right);
   * 4. segment member items go, then every item of the contact's partition, the PROFILE item and the
   *    ERASING item last.
   * Orders sent for the contact while this runs may be lost from the figures (they land on a partition
   * being deleted); an erasure is asked for on request, not while the contact shops.
   */
  async eraseContact(contactId: string, workflowIds: readonly string[]): Promise<ErasureReport | undefined> {
    const [profileItem, erasingItem] = await Promise.all([this.table.get(profileKey(contactId)), this.table.get(erasingKey(contactId))]);
    if (!profileItem && !erasingItem) return undefined;
    const erasedAt = this.table.nowIso();
    const anonymousId = await this.anonymousIdFor(contactId, erasingItem);

    const email = typeof profileItem?.email === "string" ? profileItem.email : undefined;
    if (email !== undefined) {
      await this.table.client.send(new PutCommand({ TableName: this.table.tableName, Item: { ...suppressionKey(addressKey(email)!), erasedAt } }));
    }

    const partition = await this.partitionItems(contactId);
    const orders = partition.filter((item) => String(item.SK).startsWith(KeyPrefix.order));
    await this.table.writeItems(orders.map((order) => ({ ...order, PK: contactPk(anonymousId), contactId: anonymousId })));
    // A large contact's further summary pages go along whole; they are deleted with the partition below.
    await this.table.writeItems(partition.filter((item) => (summaryPageOf(String(item.SK)) ?? 0) > 0).map((page) => ({ ...page, PK: contactPk(anonymousId) })));
    if (profileItem) {
      const summary = Object.fromEntries(Object.entries(profileItem).filter(([name]) => isSummaryAttribute(name)));
      if (Object.keys(summary).length > 0) await this.table.client.send(new PutCommand({ TableName: this.table.tableName, Item: { ...profileKey(anonymousId), ...summary } }));
    }
    await this.deleteOrderClaims(contactId, orderIdsOf(orders, [...(profileItem ? [profileItem] : []), ...partition.filter((item) => (summaryPageOf(String(item.SK)) ?? 0) > 0)]));
    const enrolmentsKept = await this.moveEnrolments(contactId, anonymousId, workflowIds);
    const couponAssignmentsKept = await this.moveCouponAssignments(contactId, anonymousId);

    // Every defined segment (a member that left is kept there as inactive), and any the contact is in by its MEMBERSHIPS item.
    const memberships = partition.find((item) => item.SK === FixedKey.memberships)?.memberships as Record<string, string> | undefined;
    const segmentIds = new Set([...(await this.segmentIds()), ...Object.keys(memberships ?? {})]);
    await this.table.deleteItems([...segmentIds].map((segmentId) => segmentMemberKey(segmentId, contactId)));
    const rest = partition.filter((item) => item.SK !== FixedKey.profile && item.SK !== FixedKey.erasing).map((item) => ({ PK: String(item.PK), SK: String(item.SK) }));
    await this.table.deleteItems(rest);
    await this.table.deleteItems([profileKey(contactId)]);
    await this.table.deleteItems([erasingKey(contactId)]);
    return {
      contactId,
      erasedAt,
      ordersKept: orders.length,
      itemsDeleted: rest.length + (profileItem ? 1 : 0),
      enrolmentsKept,
      couponAssignmentsKept,
      addressSuppressed: email !== undefined,
    };
  }

  /**
   * Deletes the claims of the contact's order ids; a claim another contact holds (an id reused before
   * claims existed) stays. Ids sharing a claim item (sequential ids, orderClaimKey) are freed by one
   * UpdateItem, conditional on each slot still being the contact's; when that is refused, one by one.
   */
  private async deleteOrderClaims(contactId: string, orderIds: readonly string[]): Promise<void> {
    const byItem = new Map<string, string[]>();
    for (const orderId of orderIds) {
      const pk = orderClaimKey(orderId).PK;
      const ids = byItem.get(pk);
      if (ids) ids.push(orderId);
      else byItem.set(pk, [orderId]);
    }
    const free = async (ids: readonly string[]): Promise<boolean> => {
      // The version goes up with the slots removed, so no claimer puts back the item it read before (order-items.ts).
      const names: Record<string, string> = { "#v": ORDER_CLAIMS_VERSION };
      ids.forEach((id, i) => (names[`#s${i}`] = orderClaimSlot(id)));
      try {
        await this.table.client.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: orderClaimKey(ids[0]!),
            UpdateExpression: `REMOVE ${ids.map((_, i) => `#s${i}`).join(", ")} ADD #v :one`,
            ConditionExpression: ids.map((_, i) => `#s${i}.contactId = :contact`).join(" AND "),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ":contact": contactId, ":one": 1 },
          }),
        );
        return true;
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        return false;
      }
    };
    // At most 50 slots to a request, as the claims are written (each adds some 30 characters to the 4 KB condition).
    const groups = [...byItem.values()].flatMap((ids) => chunks(ids, 50));
    await inParallel(groups, this.table.concurrency, async (ids) => {
      if (ids.length > 1 && (await free(ids))) return;
      for (const id of ids) await free([id]);
    });
  }

  private async anonymousIdFor(contactId: string, erasing: Record<string, unknown> | undefined): Promise<string> {
    if (typeof erasing?.anonymousId === "string") return erasing.anonymousId;
    const anonymousId = anonymousContactId();
    try {
      await this.table.client.send(
        new PutCommand({ TableName: this.table.tableName, Item: { ...erasingKey(contactId), anonymousId }, ConditionExpression: "attribute_not_exists(PK)" }),
      );
      return anonymousId;
    } catch (error) {
      // Another erasure of the same contact got there first: use its id.
      if (!isConditionFailed(error)) throw error;
      return String((await this.table.get(erasingKey(contactId)))!.anonymousId);
    }
  }

  /** Every item of the contact's partition (keys and all), by Query. */
  private async partitionItems(contactId: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const page of this.table.query({ KeyConditionExpression: "PK = :pk", ExpressionAttributeValues: { ":pk": contactPk(contactId) } })) items.push(...page);
    return items;
  }

  /** Enrolments move to the anonymous id without the contact's execution name (it may spell the id). */
  private async moveEnrolments(contactId: string, anonymousId: string, workflowIds: readonly string[]): Promise<number> {
    const found = await this.table.getItems(workflowIds.map((w) => enrolmentKey(w, contactId)));
    await this.table.writeItems(found.map((item) => ({ ...item, ...enrolmentKey(String(item.workflowId), anonymousId), contactId: anonymousId, executionName: `${String(item.workflowId)}-${anonymousId}` })));
    await this.table.deleteItems(found.map((item) => ({ PK: String(item.PK), SK: String(item.SK) })));
    return found.length;
  }

  /** A coupon code stays assigned (the set's stock stays right), to the anonymous id. */
  private async moveCouponAssignments(contactId: string, anonymousId: string): Promise<number> {
    const setIds: string[] = [];
    for await (const page of this.table.query({ KeyConditionExpression: "PK = :pk", ExpressionAttributeValues: { ":pk": FixedKey.couponSets } })) {
      for (const item of page) if (typeof item.setId === "string") setIds.push(item.setId);
    }
    const assigned = await this.table.getItems(setIds.map((setId) => couponAssignedKey(setId, contactId)));
    for (const item of assigned) {
      const setId = String(item.setId);
      await this.table.writeItems([{ ...item, ...couponAssignedKey(setId, anonymousId), contactId: anonymousId }]);
      try {
        await this.table.client.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: couponCodeKey(setId, String(item.code)),
            UpdateExpression: "SET contactId = :anonymous",
            ConditionExpression: "contactId = :contact",
            ExpressionAttributeValues: { ":anonymous": anonymousId, ":contact": contactId },
          }),
        );
      } catch (error) {
        if (!isConditionFailed(error)) throw error; // moved already, by an earlier attempt
      }
    }
    await this.table.deleteItems(assigned.map((item) => ({ PK: String(item.PK), SK: String(item.SK) })));
    return assigned.length;
  }

  private async segmentIds(): Promise<string[]> {
    const ids: string[] = [];
    const query = { KeyConditionExpression: "PK = :pk AND begins_with(SK, :definition)", ExpressionAttributeValues: { ":pk": FixedKey.segments, ":definition": KeyPrefix.definition } };
    for await (const page of this.table.query({ ...query, ProjectionExpression: "SK" })) for (const item of page) ids.push(String(item.SK).slice(KeyPrefix.definition.length));
    return ids;
  }
}
