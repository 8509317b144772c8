import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll } from "vitest";
import { DynamoDbStore } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { createStoreTable, startLocalDynamo, storeClient, type LocalDynamo } from "../../functions/adapters/dynamodb/store-client.js";
import { startLocalMail, type LocalMail } from "../../functions/local/local-mail.js";

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
    // Over the thread's message channel, as npm start talks to it: the same requests without HTTP's cost.
    dynamoClient = storeClient({ endpoint: local.endpoint, requestHandler: local.requestHandler });
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
    /** The local endpoint, for a handler that builds its own client from DYNAMODB_ENDPOINT. */
    endpoint: () => {
      if (!local) throw new Error("dynalite is not started: call the store from inside a test or hook");
      return local.endpoint;
    },
    async newStore(): Promise<{ store: DynamoDbStore; tableName: string }> {
      const tableName = `${tablePrefix}-${++tables}`;
      await createStoreTable(client(), tableName);
      return { store: new DynamoDbStore(client(), tableName), tableName };
    },
  };
}

/**
 * One dynalite and one local SES (aws-ses-v2-local) for a test file, started together before its
 * tests and stopped after; read them from inside a test or hook.
 */
export function useDynaliteAndMail(): { readonly dynamo: LocalDynamo; readonly mail: LocalMail } {
  let dynamo: LocalDynamo | undefined;
  let mail: LocalMail | undefined;
  beforeAll(async () => {
    [dynamo, mail] = await Promise.all([startLocalDynamo(), startLocalMail()]);
  });
  afterAll(async () => {
    await mail?.stop();
    await dynamo?.close();
  });
  const started = <T>(service: T | undefined, name: string): T => {
    if (!service) throw new Error(`${name} is not started: use it from inside a test or hook`);
    return service;
  };
  return {
    get dynamo() {
      return started(dynamo, "dynalite");
    },
    get mail() {
      return started(mail, "the local SES");
    },
  };
}
