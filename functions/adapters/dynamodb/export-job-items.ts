import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { EXPORT_STATUSES, type ExportJobStore, type ExportWritten, type SegmentExportJob } from "../../domain/segments/segment-export-job.js";
import { exportJobKey } from "../../domain/store/table-keys.js";
import { isConditionFailed, parseStored, withoutKey, type StoreTable } from "./table.js";

/*
 * One item per segment export job: EXPORT#<exportId> / JOB, its own partition (read by id only).
 * Every change is one conditional UpdateItem: pending → running once, running → done, anything not
 * done → failed (the export state machine's Catch writes the same `failed` when the exporter dies).
 */

const StoredExportJob = z.object({
  exportId: z.string(),
  segmentId: z.string(),
  mailable: z.boolean(),
  status: z.enum(EXPORT_STATUSES),
  requestedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  key: z.string().optional(),
  members: z.number().optional(),
  notMailable: z.number().optional(),
  reason: z.string().optional(),
});

/** The segment export jobs in the table. */
export class ExportJobItems implements ExportJobStore {
  constructor(private readonly table: StoreTable) {}

  async createExportJob(job: SegmentExportJob): Promise<void> {
    await this.table.client.send(new PutCommand({ TableName: this.table.tableName, Item: { ...exportJobKey(job.exportId), ...job }, ConditionExpression: "attribute_not_exists(PK)" }));
  }

  async getExportJob(exportId: string): Promise<SegmentExportJob | undefined> {
    const item = await this.table.get(exportJobKey(exportId));
    return item && parseStored(StoredExportJob, withoutKey(item), `export job ${exportId}`);
  }

  async markExportRunning(exportId: string, at: string): Promise<boolean> {
    return this.update(exportId, "SET #status = :running, startedAt = :at", "#status = :pending", { ":running": "running", ":pending": "pending", ":at": at });
  }

  async markExportDone(exportId: string, written: ExportWritten, at: string): Promise<void> {
    const done = await this.update(exportId, "SET #status = :done, finishedAt = :at, #key = :key, members = :members, notMailable = :notMailable", "#status = :running", {
      ":done": "done",
      ":running": "running",
      ":at": at,
      ":key": written.key,
      ":members": written.members,
      ":notMailable": written.notMailable,
    });
    if (!done) throw new Error(`export ${exportId} is not running: it cannot be done`);
  }

  async markExportFailed(exportId: string, reason: string, at: string): Promise<void> {
    await this.update(exportId, "SET #status = :failed, finishedAt = :at, reason = :reason", "attribute_exists(PK) AND #status <> :done", { ":failed": "failed", ":done": "done", ":at": at, ":reason": reason });
  }

  /** One conditional update; false when the condition did not hold. */
  private async update(exportId: string, expression: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: exportJobKey(exportId),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { "#status": "status", ...(expression.includes("#key") && { "#key": "key" }) },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}
