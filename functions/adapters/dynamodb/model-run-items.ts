import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { NightlyPlan, NightlySummary } from "../../domain/nightly/nightly-scoring.js";
import { FixedKey, modelRunKey } from "../../domain/store/table-keys.js";
import type { StoreTable } from "./table.js";

/*
 * One item per nightly run: MODELRUN / <runId>, with status ("scoring", then "complete"), the plan as
 * JSON text (RFM cutoffs may be Infinity, which DynamoDB numbers cannot hold), `run` (the model run
 * as a map, for reading it elsewhere), and once complete, completedAt and the summary.
 */

const infinityAsText = (_key: string, value: unknown) => (value === Infinity ? "Infinity" : value === -Infinity ? "-Infinity" : value);
const textAsInfinity = (_key: string, value: unknown) => (value === "Infinity" ? Infinity : value === "-Infinity" ? -Infinity : value);

function nightlyPlanOf(item: Record<string, unknown>): NightlyPlan {
  return JSON.parse(String(item.plan), textAsInfinity) as NightlyPlan;
}

/** The nights' model runs: their plans and summaries. */
export class ModelRunItems {
  constructor(private readonly table: StoreTable) {}

  async saveNightlyPlan(plan: NightlyPlan): Promise<void> {
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: { ...modelRunKey(plan.runId), status: "scoring", plan: JSON.stringify(plan, infinityAsText), run: JSON.parse(JSON.stringify(plan.run)) },
      }),
    );
  }

  async getNightlyPlan(runId: string): Promise<NightlyPlan | undefined> {
    const item = await this.table.get(modelRunKey(runId));
    return item ? nightlyPlanOf(item) : undefined;
  }

  async completeNightlyRun(runId: string, summary: NightlySummary): Promise<void> {
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: modelRunKey(runId),
        ConditionExpression: "attribute_exists(PK)",
        UpdateExpression: "SET #status = :complete, completedAt = :at, summary = :summary",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":complete": "complete", ":at": summary.completedAt, ":summary": JSON.parse(JSON.stringify(summary)) },
      }),
    );
  }

  /** The newest run that completed: the model a changed contact is rescored with. */
  async latestCompletedPlan(): Promise<NightlyPlan | undefined> {
    const item = await this.latestCompletedRunItem();
    return item && nightlyPlanOf(item);
  }

  /** The newest completed run's summary (segments' analytics, counts), for the command line and the report. */
  async latestNightlySummary(): Promise<NightlySummary | undefined> {
    const item = await this.latestCompletedRunItem();
    return item?.summary as NightlySummary | undefined;
  }

  private async latestCompletedRunItem(): Promise<Record<string, unknown> | undefined> {
    const query = {
      KeyConditionExpression: "PK = :pk",
      FilterExpression: "#status = :complete",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":pk": FixedKey.modelRun, ":complete": "complete" },
      ScanIndexForward: false,
    };
    for await (const items of this.table.query(query)) return items[0];
    return undefined;
  }
}
