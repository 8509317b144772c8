import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Enrolment } from "../../domain/workflows/enrolment.js";
import { KeyPrefix, enrolmentKey, workflowPk } from "../../domain/store/table-keys.js";
import { isConditionFailed, withoutKey, type StoreTable } from "./table.js";

/* Workflow enrolments: WORKFLOW#<workflowId> / CONTACT#<contactId>, the enrolment's fields. */

const enrolmentOf = (item: Record<string, unknown>) => withoutKey(item) as unknown as Enrolment;

/** Who is enrolled in which workflow, and how far each got. */
export class EnrolmentItems {
  constructor(private readonly table: StoreTable) {}

  async getEnrolment(workflowId: string, contactId: string): Promise<Enrolment | undefined> {
    const item = await this.table.get(enrolmentKey(workflowId, contactId));
    return item && enrolmentOf(item);
  }

  async getEnrolments(workflowId: string, contactIds: readonly string[]): Promise<Map<string, Enrolment>> {
    const items = await this.table.getItems(contactIds.map((id) => enrolmentKey(workflowId, id)));
    return new Map(items.map((item) => enrolmentOf(item)).map((e) => [e.contactId, e]));
  }

  async putEnrolment(enrolment: Enrolment, replacing?: Pick<Enrolment, "enrolledAt">): Promise<boolean> {
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...enrolmentKey(enrolment.workflowId, enrolment.contactId), ...enrolment },
          ...(replacing
            ? { ConditionExpression: "enrolledAt = :previous", ExpressionAttributeValues: { ":previous": replacing.enrolledAt } }
            : { ConditionExpression: "attribute_not_exists(PK)" }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async updateEnrolment(workflowId: string, contactId: string, fields: Partial<Omit<Enrolment, "workflowId" | "contactId">>): Promise<void> {
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: enrolmentKey(workflowId, contactId),
        // Only an enrolment that exists: a step of an execution whose record is gone writes nothing.
        ConditionExpression: "attribute_exists(PK)",
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(", ")}`,
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
      }),
    );
  }

  async *listEnrolments(workflowId: string): AsyncIterable<Enrolment[]> {
    const query = { KeyConditionExpression: "PK = :pk AND begins_with(SK, :contact)", ExpressionAttributeValues: { ":pk": workflowPk(workflowId), ":contact": KeyPrefix.contact } };
    for await (const items of this.table.query(query)) yield items.map(enrolmentOf);
  }
}
