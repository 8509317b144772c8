import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** Limits DynamoDB sets: BatchWriteItem takes 25 requests, BatchGetItem 100 keys. */
export const BATCH_WRITE_MAX = 25;
export const BATCH_GET_MAX = 100;

/** Thrown when DynamoDB keeps handing back part of a batch (throttling beyond what waiting cures). */
export class UnprocessedItemsError extends Error {
  constructor(
    readonly operation: "BatchWriteItem" | "BatchGetItem",
    readonly unprocessed: number,
    readonly attempts: number,
    tableName: string,
  ) {
    super(
      `${operation} on table ${tableName} still had ${unprocessed} unprocessed item(s) after ${attempts} tries ` +
        `(the table is throttling); every write is safe to repeat, so retry the whole operation later`,
    );
    this.name = "UnprocessedItemsError";
  }
}

export interface BatchOptions {
  /** Tries of a batch request before its unprocessed items are given up (with an error naming them). */
  batchAttempts?: number;
  /** Waits between those tries; tests pass one that does not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter for those waits, in [0, 1). */
  random?: () => number;
  /** Batch requests in flight at once. */
  concurrency?: number;
}

/**
 * Batch writes and reads of one table, every repository's: chunked to DynamoDB's limits, in bounded
 * parallel, retrying what comes back unprocessed with exponential backoff and full jitter (AWS's
 * advice for batch retries), 50 ms doubling, at most 5 s.
 */
export class TableBatches {
  readonly batchAttempts: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly concurrency: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: BatchOptions = {},
  ) {
    this.batchAttempts = options.batchAttempts ?? 8;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.concurrency = options.concurrency ?? 16;
  }

  /** BatchWriteItem puts, 25 a request, retrying what DynamoDB hands back unprocessed. */
  writeItems(items: readonly Record<string, unknown>[]): Promise<void> {
    return this.batchWrite(items.map((Item) => ({ PutRequest: { Item } })));
  }

  /** BatchWriteItem deletes by key, 25 a request, retrying what DynamoDB hands back unprocessed; a key with no item is no error. */
  deleteItems(keys: readonly Record<string, string>[]): Promise<void> {
    return this.batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));
  }

  private async batchWrite(all: readonly ({ PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, string> } })[]): Promise<void> {
    await inParallel(chunks(all, BATCH_WRITE_MAX), this.concurrency, async (chunk) => {
      let requests = chunk;
      for (let attempt = 1; ; attempt++) {
        const { UnprocessedItems } = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (requests.length === 0) return;
        if (attempt >= this.batchAttempts) throw new UnprocessedItemsError("BatchWriteItem", requests.length, attempt, this.tableName);
        await this.backOff(attempt);
      }
    });
  }

  /** BatchGetItem (whole items unless `attributes`), 100 keys a request, consistent reads, retrying unprocessed keys. */
  async getItems(keys: readonly Record<string, string>[], attributes?: readonly string[]): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    const projection = attributes && projectionOf(attributes);
    await inParallel(chunks(keys, BATCH_GET_MAX), this.concurrency, async (chunk) => {
      let Keys = chunk as Record<string, unknown>[];
      for (let attempt = 1; ; attempt++) {
        const { Responses, UnprocessedKeys } = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys, ConsistentRead: true, ...projection } } }));
        found.push(...(Responses?.[this.tableName] ?? []));
        Keys = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (Keys.length === 0) return;
        if (attempt >= this.batchAttempts) throw new UnprocessedItemsError("BatchGetItem", Keys.length, attempt, this.tableName);
        await this.backOff(attempt);
      }
    });
    return found;
  }

  private backOff(attempt: number): Promise<void> {
    return this.sleep(this.random() * Math.min(5_000, 50 * 2 ** attempt));
  }
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `work` on every item with at most `limit` running at once; the first failure rejects. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A read's ProjectionExpression for `attributes`, each under a placeholder name (some are reserved words). */
export function projectionOf(attributes: readonly string[]): { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> } {
  return {
    ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(", "),
    ExpressionAttributeNames: Object.fromEntries(attributes.map((a, i) => [`#a${i}`, a])),
  };
}
