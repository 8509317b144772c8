import { ConditionalCheckFailedException, DynamoDBServiceException, type AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  paginateQuery,
  paginateScan,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import type { z } from "zod";
import type { TableKey } from "../../domain/store/table-keys.js";
import { TableBatches, projectionOf, type BatchOptions } from "./table-batches.js";

type Item = Record<string, unknown>;
export type ScanInput = Omit<ScanCommandInput, "TableName" | "ExclusiveStartKey">;
export type QueryInput = Omit<QueryCommandInput, "TableName" | "ExclusiveStartKey">;

/**
 * The store's one table as every item repository uses it: the client, the clock, batch reads and
 * writes (table-batches.ts), and pagers over Scan and Query.
 */
export class StoreTable {
  readonly batches: TableBatches;
  /** Requests in flight at once in a bulk call. */
  readonly concurrency: number;

  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    readonly clock: () => number = Date.now,
    options: BatchOptions = {},
  ) {
    this.batches = new TableBatches(client, tableName, options);
    this.concurrency = this.batches.concurrency;
  }

  /** The clock's time as ISO text, as items store it. */
  nowIso(): string {
    return new Date(this.clock()).toISOString();
  }

  /** One item by key (whole unless `attributes`), read consistently unless told otherwise; undefined when there is none. */
  async get(key: TableKey, options: { consistent?: boolean; attributes?: readonly string[] } = {}): Promise<Item | undefined> {
    const projection = options.attributes && projectionOf(options.attributes);
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: options.consistent ?? true, ...projection }));
    return Item;
  }

  /** Every non-empty page of a Scan, following LastEvaluatedKey. */
  scan(input: ScanInput): AsyncIterable<Item[]> {
    return nonEmpty(paginateScan({ client: this.client, withCommand: (c) => new ScanCommand({ ...(c.input as ScanCommandInput) }) }, { TableName: this.tableName, ...input }));
  }

  /** Every non-empty page of a Query, following LastEvaluatedKey. */
  query(input: QueryInput): AsyncIterable<Item[]> {
    return nonEmpty(paginateQuery({ client: this.client, withCommand: (c) => new QueryCommand({ ...(c.input as QueryCommandInput) }) }, { TableName: this.tableName, ...input }));
  }

  writeItems(items: readonly Item[]): Promise<void> {
    return this.batches.writeItems(items);
  }

  deleteItems(keys: readonly TableKey[]): Promise<void> {
    return this.batches.deleteItems(keys as unknown as Record<string, string>[]);
  }

  getItems(keys: readonly TableKey[], attributes?: readonly string[]): Promise<Item[]> {
    return this.batches.getItems(keys as unknown as Record<string, string>[], attributes);
  }
}

// The pager reuses one input object for every page; a copy per command keeps each request's input
// its own (what was sent stays what was sent, for retries and for tests that look at it).
async function* nonEmpty(pages: AsyncIterable<{ Items?: Item[] }>): AsyncIterable<Item[]> {
  for await (const page of pages) if (page.Items?.length) yield page.Items;
}

/**
 * A failed ConditionExpression, matched by class. With ReturnValuesOnConditionCheckFailure the
 * exception carries the item as it was (in DynamoDB's attribute-value form).
 */
export function isConditionFailed(error: unknown): error is ConditionalCheckFailedException & { Item?: Record<string, AttributeValue> } {
  return error instanceof ConditionalCheckFailedException;
}

/**
 * A write refused because the item would pass DynamoDB's 400 KB. The SDK has no class of its own for
 * it: a ValidationException whose message says so (DynamoDB's and dynalite's wording).
 */
export function isItemTooLarge(error: unknown): boolean {
  return error instanceof DynamoDBServiceException && error.name === "ValidationException" && /item size .*exceeded the maximum allowed size/i.test(error.message);
}

/** Segment/TotalSegments of a parallel scan, checked: a wrong pair would silently skip contacts. */
export function scanSegment(segment: number, totalSegments: number): { Segment?: number; TotalSegments?: number } {
  if (!Number.isInteger(totalSegments) || totalSegments < 1 || !Number.isInteger(segment) || segment < 0 || segment >= totalSegments) {
    throw new RangeError(`scan segment ${segment} of ${totalSegments}: expected 0 ≤ segment < totalSegments`);
  }
  return totalSegments > 1 ? { Segment: segment, TotalSegments: totalSegments } : {};
}

/** An item read back, checked against what this code writes; the error names the item and the fields. */
export function parseStored<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`the stored ${what} is not what this code writes: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/** An item without its key attributes. */
export function withoutKey({ PK: _pk, SK: _sk, ...rest }: Item): Item {
  return rest;
}
