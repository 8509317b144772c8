import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { NightlyPlan, NightlySummary } from "../../domain/nightly/nightly-scoring.js";
import { FixedKey, modelRunKey } from "../../domain/store/table-keys.js";
import type { StoreTable } from "./table.js";

/*
 * One item per nightly run: MODELRUN / <runId>, with status ("scoring", then "complete"), the plan as
 * JSON text (RFM cutoffs may be Infinity, which DynamoDB numbers cannot hold), `run` (the model run
 * as a map, for reading it elsewhere), and once complete, completedAt and the summary, and
 * finishedAt: when the store recorded the completion, by the wall clock. The current model is the run
 * that completed last by finishedAt — not the newest as-of date (the key): a night re-run for an
 * earlier date (`clv nightly --as-of`) after today's is the one the user asked for last, and its
 * completedAt is the night's own clock (the as-of date, locally).
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
        UpdateExpression: "SET #status = :complete, completedAt = :at, finishedAt = :finished, summary = :summary",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":complete": "complete",
          ":at": summary.completedAt,
          ":finished": new Date().toISOString(),
          ":summary": JSON.parse(JSON.stringify(summary)),
        },
      }),
    );
  }

  /** The run that completed last: the model the report shows, the API serves and a changed contact is rescored with. */
  async latestCompletedPlan(): Promise<NightlyPlan | undefined> {
    const item = await this.latestCompletedRunItem();
    return item && nightlyPlanOf(item);
  }

  /** The summary (segments' analytics, counts) of the run that completed last, for the command line and the report. */
  async latestNightlySummary(): Promise<NightlySummary | undefined> {
    const item = await this.latestCompletedRunItem();
    return item?.summary as NightlySummary | undefined;
  }

  /**
   * Reads the completed runs' keys and completion times (one small item each, a night a year is a few
   * hundred), picks the last to complete, then reads that one item whole. Runs recorded before
   * finishedAt existed fall back to completedAt; a tie goes to the newer key.
   */
  private async latestCompletedRunItem(): Promise<Record<string, unknown> | undefined> {
    const query = {
      KeyConditionExpression: "PK = :pk",
      FilterExpression: "#status = :complete",
      ProjectionExpression: "SK, completedAt, finishedAt",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":pk": FixedKey.modelRun, ":complete": "complete" },
    };
    let latest: { runId: string; finished: string } | undefined;
    for await (const items of this.table.query(query)) {
      for (const item of items) {
        const finished = String(item.finishedAt ?? item.completedAt ?? "");
        const runId = String(item.SK);
        if (!latest || finished > latest.finished || (finished === latest.finished && runId > latest.runId)) latest = { runId, finished };
      }
    }
    return latest && (await this.table.get(modelRunKey(latest.runId), { consistent: true }));
  }
}
