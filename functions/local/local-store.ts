import { createStoreTable, startLocalDynamo, storeClient } from "../adapters/dynamodb/store-client.js";
import { DynamoDbStore } from "../adapters/dynamodb/dynamodb-store.js";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export const LOCAL_TABLE = "clv-store";

export interface LocalStore {
  store: DynamoDbStore;
  /** The document client, for the other repositories over the same table (coupons, enrolments, sends). */
  client: DynamoDBDocumentClient;
  endpoint: string;
  tableName: string;
  close(): Promise<void>;
}

/**
 * The store's table locally: at `endpoint` when given (a DynamoDB that `npm run serve` keeps up, or
 * any other), otherwise in a dynalite started in this process, in memory, with the table created.
 */
export async function openLocalStore(options: { endpoint?: string; tableName?: string; port?: number } = {}): Promise<LocalStore> {
  const tableName = options.tableName ?? LOCAL_TABLE;
  if (options.endpoint) {
    const client = storeClient({ endpoint: options.endpoint });
    return { store: new DynamoDbStore(client, tableName), client, endpoint: options.endpoint, tableName, close: async () => client.destroy() };
  }
  const dynamo = await startLocalDynamo(options.port !== undefined ? { port: options.port } : {});
  const client = storeClient({ endpoint: dynamo.endpoint, requestHandler: dynamo.requestHandler });
  await createStoreTable(client, tableName);
  return {
    store: new DynamoDbStore(client, tableName),
    client,
    endpoint: dynamo.endpoint,
    tableName,
    close: async () => {
      client.destroy();
      await dynamo.close();
    },
  };
}
