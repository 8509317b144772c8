import { Readable } from "node:stream";
import { BatchGetCommand, BatchWriteCommand, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DynamoDbStore, UnprocessedItemsError, decimalSum } from "../../functions/adapters/dynamodb/dynamodb-store.js";
import { STORE_MAX_ATTEMPTS, storeClient } from "../../functions/adapters/dynamodb/store-client.js";
import type { ContactScores } from "../../functions/domain/clv/contact-scores.js";
import type { OrderInput } from "../../functions/domain/store/order.js";
import { contactScores } from "../support/contact-scores.js";

const TABLE = "store";

function scores(n: number): ContactScores[] {
  return Array.from({ length: n }, (_, i) => contactScores({ contactId: `c-${i}` }));
}

/** A store over a mocked client, whose waits between batch tries are recorded instead of waited. */
function mockedStore() {
  const client = storeClient({ region: "eu-west-1" });
  const mock = mockClient(client);
  const waits: number[] = [];
  const store = new DynamoDbStore(client, TABLE, () => Date.parse("2024-06-01T00:00:00Z"), {
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
  });
  return { mock, store, waits };
}

type PutItems = { PutRequest: { Item: Record<string, unknown> } }[];
const writtenIds = (input: { RequestItems?: Record<string, unknown> }) => ((input.RequestItems?.[TABLE] ?? []) as PutItems).map((r) => r.PutRequest.Item.contactId);

describe("batch writes", () => {
  it("retries unprocessed items, and only them, until all are written", async () => {
    // Prepare
    const { mock, store, waits } = mockedStore();
    const all = scores(30);
    const unprocessed = (ids: number[]) => ({ UnprocessedItems: { [TABLE]: ids.map((i) => ({ PutRequest: { Item: { PK: `CONTACT#c-${i}`, SK: "SCORES", contactId: `c-${i}` } } })) } });
    mock
      .on(BatchWriteCommand)
      .resolvesOnce(unprocessed([3, 7, 20])) // first batch of 25: three come back
      .resolvesOnce({}) // second batch of 5
      .resolvesOnce(unprocessed([7])) // retry of the three: one comes back again
      .resolves({});
    await store.putScores(all);
    // Act
    const calls = mock.commandCalls(BatchWriteCommand).map((c) => writtenIds(c.args[0].input));
    // Assess
    expect(calls.map((ids) => ids.length).sort((a, b) => a - b)).toEqual([1, 3, 5, 25]);
    expect(calls).toContainEqual(["c-3", "c-7", "c-20"]);
    expect(calls).toContainEqual(["c-7"]);
    // Exponential backoff with jitter: 0.5 × 50 ms × 2^attempt.
    expect(waits).toEqual([50, 100]);
  });

  it("gives up with a clear error when items stay unprocessed", async () => {
    // Prepare
    const { mock, store, waits } = mockedStore();
    mock.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown> }) => ({ UnprocessedItems: input.RequestItems }));
    // Act
    const error = await store.putScores(scores(3)).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(UnprocessedItemsError);
    expect((error as Error).message).toMatch(/BatchWriteItem on table store still had 3 unprocessed item\(s\) after 8 tries.*safe to repeat/);
    expect(mock.commandCalls(BatchWriteCommand)).toHaveLength(8);
    expect(waits).toEqual([50, 100, 200, 400, 800, 1600, 2500]); // capped at 5 s before jitter
  });

  it("retries unprocessed keys of a batch read", async () => {
    // Prepare
    const { mock, store } = mockedStore();
    const orders: OrderInput[] = Array.from({ length: 30 }, (_, i) => ({
      id: `o-${i}`,
      contactId: "c-1",
      createdAt: "2024-01-01T00:00:00Z",
      total: 5,
      currency: "EUR",
      status: "placed",
    }));
    const keys = orders.map((o) => ({ PK: "CONTACT#c-1", SK: `ORDER#${o.id}` }));
    // The first read finds the order ids' claims (1 item: o-0…o-9 by their last character, o-10…o-29 by their last two digits), the second the order items, the last the contact's PROFILE.
    mock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [] } })
      .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: keys.slice(0, 10) } } })
      .resolves({ Responses: { [TABLE]: [] } });
    mock.on(BatchWriteCommand).resolves({});
    mock.on(UpdateCommand).resolves({});
    mock.on(PutCommand).resolves({});
    // Act and assess
    expect(await store.recordOrders(orders)).toEqual(orders.map(() => "recorded"));
    const reads = mock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]?.Keys?.length);
    expect(reads).toEqual([1, 30, 10, 1]);
    // One claim write per claim item and one summary write for the contact, each a put of the item
    // found missing: the claims of the 30 ids, and the PROFILE with the 30 orders counted.
    expect(mock.commandCalls(UpdateCommand)).toHaveLength(0);
    const puts = new Map(mock.commandCalls(PutCommand).map((c) => [String(c.args[0].input.Item!.PK), c.args[0].input.Item!]));
    expect([...puts.keys()].sort()).toEqual(["CONTACT#c-1", "ORDERIDS#o-"]);
    expect(Object.keys(puts.get("ORDERIDS#o-")!).filter((name) => /^[cd]#/.test(name))).toHaveLength(30);
    expect(Object.keys(puts.get("CONTACT#c-1")!).filter((name) => name.startsWith("o#"))).toHaveLength(30);
    expect(puts.get("CONTACT#c-1")).toMatchObject({ SK: "PROFILE", orderCount: 30, summaryEntries: 30 });
  });
});

describe("scanHistories", () => {
  it("pages through LastEvaluatedKey and passes its segment on", async () => {
    // Prepare
    const { mock, store } = mockedStore();
    const profile = (id: string, orders: Record<string, { at: number; total: number }>) => ({ PK: `CONTACT#${id}`, SK: "PROFILE", orderCount: Object.keys(orders).length, ...orders });
    mock
      .on(ScanCommand)
      .resolvesOnce({ Items: [profile("a", { "o#1": { at: Date.UTC(2024, 0, 1), total: 5 } })], LastEvaluatedKey: { PK: "CONTACT#a", SK: "PROFILE" } })
      .resolvesOnce({ Items: [] , LastEvaluatedKey: { PK: "CONTACT#x", SK: "PROFILE" } })
      .resolvesOnce({ Items: [profile("b", { "o#2": { at: Date.UTC(2024, 0, 1), total: 5 }, "o#3": { at: Date.UTC(2024, 0, 3), total: 7 } })] });
    const pages: string[][] = [];
    // Act
    for await (const page of store.scanHistories(2, 4)) pages.push(page.map((h) => `${h.contactId}:${h.orderCount}`));
    // Assess
    expect(pages).toEqual([["a:1"], ["b:2"]]);
    const inputs = mock.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.Segment, i.TotalSegments])).toEqual([[2, 4], [2, 4], [2, 4]]);
    expect(inputs.map((i) => i.ExclusiveStartKey?.PK)).toEqual([undefined, "CONTACT#a", "CONTACT#x"]);
  });

  it("refuses a segment outside the scan", async () => {
    // Prepare
    const { store } = mockedStore();
    // Act and assess
    await expect(store.scanHistories(4, 4)[Symbol.asyncIterator]().next()).rejects.toThrow(/expected 0 ≤ segment < totalSegments/);
  });
});

describe("throttling", () => {
  afterEach(() => void vi.useRealTimers());

  it("the client retries in adaptive mode, up to STORE_MAX_ATTEMPTS tries", async () => {
    // Prepare
    const client = storeClient({ region: "eu-west-1" });
    // Act and assess
    expect(await client.config.maxAttempts()).toBe(STORE_MAX_ATTEMPTS);
    const retryMode = client.config.retryMode;
    expect(typeof retryMode === "function" ? await retryMode() : retryMode).toBe("adaptive");
  });

  /**
   * A transport that answers the first `failures` requests (of `operation` only, when given) with
   * DynamoDB's throttling error, then succeeds: the SDK's own retry (configured by storeClient) does the rest.
   */
  function throttlingTransport(errorType: string, failures: number, operation?: string) {
    const requests: string[] = [];
    let throttled = 0;
    const handle = async (request: { headers: Record<string, string> }) => {
      const target = request.headers["x-amz-target"] ?? "";
      requests.push(target);
      const failing = (operation === undefined || target === `DynamoDB_20120810.${operation}`) && ++throttled <= failures;
      const body = failing ? { __type: `com.amazonaws.dynamodb.v20120810#${errorType}`, message: "Rate of requests exceeds the allowed throughput." } : {};
      return {
        response: {
          statusCode: failing ? 400 : 200,
          headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": `r${requests.length}` },
          body: Readable.from([Buffer.from(JSON.stringify(body))]),
        },
      };
    };
    return { requests, requestHandler: { handle } as never };
  }

  /** Runs `send` with fake time passing a second at a step, the real event loop turning in between for the SDK's I/O. */
  async function inFakeTime(send: () => Promise<unknown>): Promise<unknown> {
    vi.useFakeTimers({ toFake: ["setTimeout", "Date"] });
    const sent = send();
    let settled = false;
    void sent.finally(() => (settled = true)).catch(() => {});
    for (let second = 0; second < 600 && !settled; second++) {
      await vi.advanceTimersByTimeAsync(1_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return sent;
  }

  it("hands the throttling error on after STORE_MAX_ATTEMPTS tries", async () => {
    // Prepare
    const { requests, requestHandler } = throttlingTransport("ThrottlingException", 1_000);
    const store = new DynamoDbStore(storeClient({ region: "eu-west-1", endpoint: "http://127.0.0.1:9", requestHandler }), TABLE);
    const error = await inFakeTime(() => store.putContact("c-1", { subscription: "never_subscribed" })).catch((e: unknown) => e);
    // Act and assess
    expect((error as Error).name).toBe("ThrottlingException");
    expect(requests).toHaveLength(STORE_MAX_ATTEMPTS);
  });

  it.each([
    ["ProvisionedThroughputExceededException", "UpdateItem"],
    ["ThrottlingException", "UpdateItem"],
    ["ThrottlingException", "PutItem"],
  ])("a %s on %s is retried until it succeeds", async (errorType, operation) => {
    // The SDK waits between tries (backoff, and the adaptive mode's slower sending rate after a
    // throttle): seconds of fake time.
    // Prepare
    const { requests, requestHandler } = throttlingTransport(errorType, 2, operation);
    const store = new DynamoDbStore(storeClient({ region: "eu-west-1", endpoint: "http://127.0.0.1:9", requestHandler }), TABLE);
    // Act
    await inFakeTime(() =>
      operation === "UpdateItem"
        ? store.putContact("c-1", { subscription: "never_subscribed" })
        : store.recordEmailEvent({ contactId: "c-1", type: "sent", at: "2024-06-01T00:00:00Z" }),
    );
    // Assess: putContact reads the stored profile first (the consent rules and the versioned write need it).
    const throttledTries = Array(3).fill(`DynamoDB_20120810.${operation}`);
    expect(requests).toEqual(operation === "UpdateItem" ? ["DynamoDB_20120810.GetItem", ...throttledTries] : throttledTries);
  });
});

describe("decimalSum", () => {
  it("adds totals as DynamoDB does, in decimal", () => {
    // Act and assess
    expect(decimalSum([139.12, 22.2]).value).toBe("161.32");
    expect(decimalSum([0.1, 0.2]).value).toBe("0.3");
    expect(decimalSum([1e-7, 2]).value).toBe("2.0000001");
    expect(decimalSum([1e21, 1.5]).value).toBe("1000000000000000000001.5");
    expect(decimalSum([5, -7.25]).value).toBe("-2.25");
    expect(decimalSum([0]).value).toBe("0");
  });
});
