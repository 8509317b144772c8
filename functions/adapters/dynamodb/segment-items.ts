import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { ContactMemberships } from "../../domain/nightly/nightly-scoring.js";
import { parseSegmentDefinition, type SegmentDefinition } from "../../domain/segments/segment-definition.js";
import type { Membership, MembershipChanges } from "../../domain/segments/segment-membership.js";
import { FixedKey, KeyPrefix, membershipsKey, segmentDefinitionKey, segmentMemberKey, segmentPk } from "../../domain/store/table-keys.js";
import type { StoreTable } from "./table.js";

/*
 * Definitions share one partition (SEGMENTS / DEFINITION#<id>), so listing them is a Query, never a
 * scan of the table. Members live under SEGMENT#<id> / CONTACT#<id>, active ones with `active = true`;
 * the same memberships are kept per contact (CONTACT#<id> / MEMBERSHIPS, segment id → entered at), so
 * a scan segment or one changed contact finds its own membership changes without reading whole segments.
 */

/** Segment definitions, their members, and each contact's memberships. */
export class SegmentItems {
  constructor(private readonly table: StoreTable) {}

  async putSegmentDefinition(definition: SegmentDefinition): Promise<void> {
    await this.table.client.send(
      new PutCommand({ TableName: this.table.tableName, Item: { ...segmentDefinitionKey(definition.id), definition, updatedAt: this.table.nowIso() } }),
    );
  }

  async listSegmentDefinitions(): Promise<SegmentDefinition[]> {
    const definitions: SegmentDefinition[] = [];
    const query = { KeyConditionExpression: "PK = :pk AND begins_with(SK, :definition)", ExpressionAttributeValues: { ":pk": FixedKey.segments, ":definition": KeyPrefix.definition } };
    for await (const items of this.table.query(query)) for (const item of items) definitions.push(parseSegmentDefinition(item.definition));
    return definitions;
  }

  /** The segment's current members by contact id. */
  async activeSegmentMembers(segmentId: string): Promise<Map<string, Membership>> {
    const members = new Map<string, Membership>();
    for await (const page of this.activeSegmentMemberPages(segmentId)) for (const m of page) members.set(m.contactId, m);
    return members;
  }

  /**
   * The segment's current members a Query page at a time (up to 1 MB read each), in key order: what
   * an export of a million members reads without holding them all.
   */
  async *activeSegmentMemberPages(segmentId: string): AsyncIterable<Membership[]> {
    const query = {
      KeyConditionExpression: "PK = :pk AND begins_with(SK, :contact)",
      FilterExpression: "active = :yes",
      ProjectionExpression: "contactId, enteredAt",
      ExpressionAttributeValues: { ":pk": segmentPk(segmentId), ":contact": KeyPrefix.contact, ":yes": true },
    };
    for await (const items of this.table.query(query)) yield items.map((item) => ({ contactId: String(item.contactId), enteredAt: String(item.enteredAt) }));
  }

  /**
   * One page of the segment's current members' ids, in key order after `after` (a contact id), and
   * where the next page starts; none when this was the last. Up to `limit` items are read per page.
   */
  async activeSegmentMemberPage(segmentId: string, after: string | undefined, limit: number): Promise<{ contactIds: string[]; next?: string }> {
    const { Items = [], LastEvaluatedKey } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :contact)",
        FilterExpression: "active = :yes",
        ProjectionExpression: "contactId",
        ExpressionAttributeValues: { ":pk": segmentPk(segmentId), ":contact": KeyPrefix.contact, ":yes": true },
        Limit: limit,
        ...(after !== undefined && { ExclusiveStartKey: segmentMemberKey(segmentId, after) }),
      }),
    );
    const last = LastEvaluatedKey?.SK;
    return { contactIds: Items.map((item) => String(item.contactId)), ...(typeof last === "string" && { next: last.slice(KeyPrefix.contact.length) }) };
  }

  /** Writes only what changed: entered members (active) and left ones (inactive, with leftAt). */
  async applyMembershipChanges(segmentId: string, changes: MembershipChanges): Promise<void> {
    const item = (m: Membership, active: boolean) => ({ ...segmentMemberKey(segmentId, m.contactId), ...m, active });
    await this.table.writeItems([...changes.entered.map((m) => item(m, true)), ...changes.left.map((m) => item(m, false))]);
  }

  async putContactMemberships(memberships: readonly ContactMemberships[]): Promise<void> {
    await this.table.writeItems(memberships.map((m) => ({ ...membershipsKey(m.contactId), memberships: m.memberships })));
  }
}
