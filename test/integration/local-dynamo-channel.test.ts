import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
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
