import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll } from "vitest";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { createStoreTable, startLocalDynamo, storeClient, type LocalDynamo } from "../../functions/adapters/dynamodb/store-client.js";

/**
 * One dynalite for a test file (started before its tests, stopped after), and a fresh table per
 * store so that tests do not see each other's contacts.
 */
export function useDynalite(tablePrefix: string) {
  let local: LocalDynamo | undefined;
  let dynamoClient: DynamoDBDocumentClient | undefined;
  let tables = 0;
  beforeAll(async () => {
    local = await startLocalDynamo();
    dynamoClient = storeClient({ endpoint: local.endpoint });
  });
  afterAll(async () => {
    dynamoClient?.destroy();
    await local?.close();
  });
  const client = () => {
    if (!dynamoClient) throw new Error("dynalite is not started: call the store from inside a test or hook");
    return dynamoClient;
  };
  return {
    client,
    async newStore(): Promise<{ store: DynamoDbStore; tableName: string }> {
      const tableName = `${tablePrefix}-${++tables}`;
      await createStoreTable(client(), tableName);
      return { store: new DynamoDbStore(client(), tableName), tableName };
    },
  };
}
