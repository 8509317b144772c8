import { ConditionalCheckFailedException, DynamoDBServiceException, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, paginateQuery } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStoreTable, startLocalDynamo, storeClient, type LocalDynamo } from "../../functions/adapters/dynamodb/store-client.js";

/**
 * The in-process transport to the dynalite thread (LocalDynamo.requestHandler) against the same
 * dynalite over HTTP: what a request does and answers, errors included, must not depend on the road.
 */
describe("requests to the dynalite thread over its message channel", () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it("reads, writes and queries as over HTTP, both seeing the same table", async () => {
    // Prepare
    const channel = storeClient({ endpoint: dynamo.endpoint, requestHandler: dynamo.requestHandler });
    const http = storeClient({ endpoint: dynamo.endpoint });
    await createStoreTable(channel, "channel-1");

    // Act
    await channel.send(new PutCommand({ TableName: "channel-1", Item: { PK: "CONTACT#a", SK: "PROFILE", email: "a@example.com", tags: new Set(["x", "y"]), revenue: 12.5 } }));
    await http.send(new UpdateCommand({ TableName: "channel-1", Key: { PK: "CONTACT#a", SK: "PROFILE" }, UpdateExpression: "ADD orderCount :one", ExpressionAttributeValues: { ":one": 1 } }));
    const overChannel = await channel.send(new GetCommand({ TableName: "channel-1", Key: { PK: "CONTACT#a", SK: "PROFILE" }, ConsistentRead: true }));
    const overHttp = await http.send(new GetCommand({ TableName: "channel-1", Key: { PK: "CONTACT#a", SK: "PROFILE" }, ConsistentRead: true }));
    const query = await channel.send(new QueryCommand({ TableName: "channel-1", KeyConditionExpression: "PK = :pk", ExpressionAttributeValues: { ":pk": "CONTACT#a" } }));

    // Assess
    expect(overChannel.Item).toEqual({ PK: "CONTACT#a", SK: "PROFILE", email: "a@example.com", tags: new Set(["x", "y"]), revenue: 12.5, orderCount: 1 });
    expect(overChannel.Item).toEqual(overHttp.Item);
    expect(overChannel.$metadata.httpStatusCode).toBe(200);
    expect(overChannel.$metadata.requestId).toMatch(/^[A-Z0-9]{52}$/);
    expect(query.Items).toHaveLength(1);
    channel.destroy();
    http.destroy();
  });

  it("answers a failed condition with the SDK's ConditionalCheckFailedException, and a bad request with dynalite's message", async () => {
    // Prepare
    const channel = storeClient({ endpoint: dynamo.endpoint, requestHandler: dynamo.requestHandler });
    await createStoreTable(channel, "channel-2");
    await channel.send(new PutCommand({ TableName: "channel-2", Item: { PK: "COUPON#s", SK: "CODE#A" } }));

    // Act
    const conditionFailed = await channel
      .send(new PutCommand({ TableName: "channel-2", Item: { PK: "COUPON#s", SK: "CODE#A" }, ConditionExpression: "attribute_not_exists(PK)" }))
      .catch((error: unknown) => error);
    const missingTable = await channel.send(new GetCommand({ TableName: "no-such-table", Key: { PK: "a", SK: "b" } })).catch((error: unknown) => error as Error);

    // Assess
    expect(conditionFailed).toBeInstanceOf(ConditionalCheckFailedException);
    expect((missingTable as Error).name).toBe("ResourceNotFoundException");
    expect((missingTable as Error).message).toMatch(/not found/i);
    channel.destroy();
  });

  it("answers every document command sent straight to the thread as the SDK over HTTP does: bytes, sets, pages, batches, errors", async () => {
    // Prepare
    const channel = storeClient({ endpoint: dynamo.endpoint, requestHandler: dynamo.requestHandler });
    const http = storeClient({ endpoint: dynamo.endpoint });
    await createStoreTable(channel, "channel-4");
    const item = { PK: "CONTACT#b", SK: "PROFILE", photo: new Uint8Array([0, 1, 254, 255]), keys: new Set([new Uint8Array([7]), new Uint8Array([8, 9])]), tags: new Set(["x"]), n: new Set([1, 2.5]), nested: { list: [1, "two", null, true, { deep: new Uint8Array([3]) }] }, none: undefined };
    const both = async <T>(send: (client: typeof channel) => Promise<T>) => [await send(channel), await send(http)] as const;
    const failure = (client: typeof channel) =>
      client
        .send(new PutCommand({ TableName: "channel-4", Item: { PK: "CONTACT#b", SK: "PROFILE" }, ConditionExpression: "attribute_not_exists(PK)", ReturnValuesOnConditionCheckFailure: "ALL_OLD" }))
        .then(
          () => undefined,
          (error: unknown) => error as ConditionalCheckFailedException,
        );
    const invalid = (client: typeof channel) =>
      client.send(new UpdateCommand({ TableName: "channel-4", Key: { PK: "CONTACT#b", SK: "PROFILE" }, UpdateExpression: "SET" })).then(
        () => new Error("an update without an action went through"),
        (error: unknown) => error as Error,
      );

    // Act
    await channel.send(new PutCommand({ TableName: "channel-4", Item: item }));
    await channel.send(new BatchWriteCommand({ RequestItems: { "channel-4": Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { PK: "CONTACT#c", SK: `ORDER#${String(i).padStart(2, "0")}`, spent: i } } })) } }));
    const [got, gotOverHttp] = await both((c) => c.send(new GetCommand({ TableName: "channel-4", Key: { PK: "CONTACT#b", SK: "PROFILE" }, ConsistentRead: true })));
    const [batch, batchOverHttp] = await both((c) => c.send(new BatchGetCommand({ RequestItems: { "channel-4": { Keys: [{ PK: "CONTACT#b", SK: "PROFILE" }, { PK: "CONTACT#c", SK: "ORDER#03" }] } } })));
    const pages = async (c: typeof channel) => {
      const seen: unknown[] = [];
      for await (const page of paginateQuery({ client: c, pageSize: 10 }, { TableName: "channel-4", KeyConditionExpression: "PK = :pk", ExpressionAttributeValues: { ":pk": "CONTACT#c" } })) seen.push({ items: page.Items, last: page.LastEvaluatedKey, count: page.Count });
      return seen;
    };
    const [queried, queriedOverHttp] = await both(pages);
    const [updated, updatedOverHttp] = await both((c) =>
      c.send(new UpdateCommand({ TableName: "channel-4", Key: { PK: "CONTACT#c", SK: "ORDER#00" }, UpdateExpression: "ADD spent :one", ExpressionAttributeValues: { ":one": 1 }, ReturnValues: "ALL_NEW" })),
    );
    const [conditionFailed, conditionFailedOverHttp] = await both(failure);
    const [badRequest, badRequestOverHttp] = await both(invalid);

    // Assess
    const { none: _none, ...stored } = item;
    expect(got.Item).toEqual(stored);
    expect(got.Item).toEqual(gotOverHttp.Item);
    // BatchGetItem answers in no set order.
    const bySortKey = (items: Record<string, unknown>[] = []) => [...items].sort((a, b) => String(a.SK).localeCompare(String(b.SK)));
    expect(bySortKey(batch.Responses!["channel-4"])).toEqual(bySortKey(batchOverHttp.Responses!["channel-4"]));
    expect(batch.Responses!["channel-4"]).toHaveLength(2);
    expect(queried).toEqual(queriedOverHttp);
    expect(queried).toHaveLength(3);
    expect(updated.Attributes).toEqual({ PK: "CONTACT#c", SK: "ORDER#00", spent: 1 });
    expect(updatedOverHttp.Attributes).toEqual({ PK: "CONTACT#c", SK: "ORDER#00", spent: 2 });
    expect(conditionFailed).toBeInstanceOf(ConditionalCheckFailedException);
    expect(conditionFailed).toBeInstanceOf(DynamoDBServiceException);
    if (!conditionFailed || !conditionFailedOverHttp) throw new Error("a put against an existing item went through");
    expect(conditionFailed.Item).toEqual(conditionFailedOverHttp.Item);
    expect({ name: conditionFailed.name, fault: conditionFailed.$fault, message: conditionFailed.message, status: conditionFailed.$metadata.httpStatusCode }).toEqual({
      name: conditionFailedOverHttp.name,
      fault: conditionFailedOverHttp.$fault,
      message: conditionFailedOverHttp.message,
      status: conditionFailedOverHttp.$metadata.httpStatusCode,
    });
    expect(badRequest).toBeInstanceOf(DynamoDBServiceException);
    expect({ name: badRequest.name, message: badRequest.message }).toEqual({ name: badRequestOverHttp.name, message: badRequestOverHttp.message });
    expect(badRequest.name).toBe("ValidationException");
    channel.destroy();
    http.destroy();
  });

  it("answers the client's own GetItem (a state machine's GetItem task) in attribute values, bytes included, as the SDK over HTTP does", async () => {
    // Prepare
    const channel = storeClient({ endpoint: dynamo.endpoint, requestHandler: dynamo.requestHandler });
    const http = storeClient({ endpoint: dynamo.endpoint });
    await createStoreTable(channel, "channel-5");
    await channel.send(new PutCommand({ TableName: "channel-5", Item: { PK: "SEGMENT#s", SK: "CONTACT#a", photo: new Uint8Array([0, 255]), keys: new Set([new Uint8Array([7])]), n: 2.5, nested: { list: ["x", new Uint8Array([3])] } } }));
    const getItem = (key: string) => new GetItemCommand({ TableName: "channel-5", Key: { PK: { S: "SEGMENT#s" }, SK: { S: key } }, ConsistentRead: true });

    // Act
    const [found, foundOverHttp] = [await channel.send(getItem("CONTACT#a")), await http.send(getItem("CONTACT#a"))];
    const [absent, absentOverHttp] = [await channel.send(getItem("CONTACT#b")), await http.send(getItem("CONTACT#b"))];
    const missingTable = await channel.send(new GetItemCommand({ TableName: "no-such-table", Key: { PK: { S: "a" }, SK: { S: "b" } } })).then(
      () => new Error("a read of a missing table went through"),
      (error: unknown) => error as Error,
    );

    // Assess
    expect(found.Item).toEqual(foundOverHttp.Item);
    expect(found.Item?.photo).toEqual({ B: new Uint8Array([0, 255]) });
    expect(found.Item?.n).toEqual({ N: "2.5" });
    expect(absent.Item).toBeUndefined();
    expect(absentOverHttp.Item).toBeUndefined();
    expect(found.$metadata.httpStatusCode).toBe(200);
    expect(missingTable).toBeInstanceOf(DynamoDBServiceException);
    expect(missingTable.name).toBe("ResourceNotFoundException");
    channel.destroy();
    http.destroy();
  });

  it("fails the requests still waiting when dynalite stops, rather than leaving them hanging", async () => {
    // Prepare
    const own = await startLocalDynamo();
    const channel = storeClient({ endpoint: own.endpoint, requestHandler: own.requestHandler, maxAttempts: 1 });
    await createStoreTable(channel, "channel-3");
    await own.close();

    // Act
    const afterClose = await channel.send(new GetCommand({ TableName: "channel-3", Key: { PK: "a", SK: "b" } })).catch((error: unknown) => error as Error);

    // Assess
    expect(afterClose).toBeInstanceOf(Error);
    expect((afterClose as Error).message).toMatch(/dynalite stopped/);
  });
});
