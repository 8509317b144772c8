import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import type { S3Event } from "aws-lambda";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import { authorizeApiKey } from "../../functions/handlers/api-key-authorizer.js";
import { handleContactChanges } from "../../functions/handlers/contact-changes.js";
import { handler as httpApi } from "../../functions/handlers/http-api.js";
import { importUpload } from "../../functions/handlers/import-upload.js";
import { runNightlyLocally } from "../../functions/local/local-nightly.js";
import { useDynalite } from "../support/dynalite.js";

/** The handlers driven with AWS's own sample events (test/fixtures/aws-events/README.md names their origin). */
const sample = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/aws-events/${name}.json`, import.meta.url), "utf8")) as T;
const dynalite = useDynalite("aws-events");
const KEY = "sample-events-key";
const NOW = Date.parse("2024-06-30T03:00:00Z");

describe("the HTTP API's Lambda on an HTTP API payload 2.0 request", () => {
  const saved = { ...process.env };
  beforeAll(async () => {
    // Prepare: the Lambda's environment, as the stack sets it, against a local table.
    const { tableName } = await dynalite.newStore();
    process.env.TABLE_NAME = tableName;
    process.env.DYNAMODB_ENDPOINT = dynalite.endpoint();
    process.env.UNSUBSCRIBE_SECRET = "a-secret-of-enough-length";
    delete process.env.EXPORT_BUCKET;
  });
  afterAll(() => {
    process.env = saved;
  });
  const request = (over: Partial<APIGatewayProxyEventV2>): APIGatewayProxyEventV2 => ({ ...sample<APIGatewayProxyEventV2>("apigw-http-request"), ...over });
  const call = async (event: APIGatewayProxyEventV2) => (await httpApi(event)) as APIGatewayProxyStructuredResultV2;

  it("answers the sample as published (a route it does not have) with 404 naming the route", async () => {
    // Act
    const answer = await call(sample("apigw-http-request"));

    // Assess
    expect([answer.statusCode, JSON.parse(answer.body!)]).toEqual([404, { error: "no route POST /lambda" }]);
  });

  it("stores a contact from the sample with our route, path and body, and answers it back", async () => {
    // Prepare
    const body = JSON.stringify({ email: "ann@example.com", subscription: "subscribed", consentAt: "2024-05-01T09:00:00Z" });

    // Act
    const put = await call(request({ routeKey: "PUT /contacts/{id}", rawPath: "/contacts/ann", pathParameters: { id: "ann" }, body }));
    const got = await call(request({ routeKey: "GET /contacts/{id}", rawPath: "/contacts/ann", pathParameters: { id: "ann" } }));
    const base64 = await call(request({ routeKey: "PUT /contacts/{id}", rawPath: "/contacts/ben", pathParameters: { id: "ben" }, body: Buffer.from(body.replace("ann", "ben")).toString("base64"), isBase64Encoded: true }));

    // Assess
    expect(put.statusCode).toBe(200);
    expect([got.statusCode, JSON.parse(got.body!)]).toEqual([200, expect.objectContaining({ email: "ann@example.com", subscription: "subscribed" })]);
    expect([base64.statusCode, JSON.parse(base64.body!).email]).toEqual([200, "ben@example.com"]);
  });

  it("answers 501 for an export where the stack gave the Lambda no exports bucket", async () => {
    const answer = await call(request({ routeKey: "POST /segments/{id}/export", rawPath: "/segments/win-back/export", pathParameters: { id: "win-back" } }));
    expect(answer.statusCode).toBe(501);
  });
});

describe("the API key authorizer on an HTTP API REQUEST authorizer event, payload 2.0", () => {
  const authorize = authorizeApiKey(async () => [hashApiKey(KEY)]);

  it("refuses the sample as published: it carries a bearer token, not an x-api-key", async () => {
    expect(await authorize(sample("apigw-http-authorizer-request"))).toEqual({ isAuthorized: false });
  });

  it("lets a stored key through and refuses another, read from the sample's headers", async () => {
    // Prepare
    const event = sample<APIGatewayRequestAuthorizerEventV2>("apigw-http-authorizer-request");
    const withKey = (key: string) => ({ ...event, identitySource: [key], headers: { ...event.headers, "x-api-key": key } });

    // Act and Assess
    expect(await authorize(withKey(KEY))).toEqual({ isAuthorized: true });
    expect(await authorize(withKey("not-our-key"))).toEqual({ isAuthorized: false });
  });
});

describe("the contact-change Lambda on DynamoDB stream records", () => {
  it("reports the sample's records, not of our table, as failures by their sequence numbers and writes nothing", async () => {
    // Prepare
    const { store } = await dynalite.newStore();

    // Act
    const result = await handleContactChanges(store, sample("dynamodb-stream"), NOW);

    // Assess
    expect(result).toMatchObject({ batchItemFailures: [{ itemIdentifier: "111" }, { itemIdentifier: "222" }], rescored: 0 });
  });

  it("rescores the contact of a PROFILE record in the sample's envelope, with the last night's model", async () => {
    // Prepare: a contact scored by a night, then the same records with our table's keys
    const { store } = await dynalite.newStore();
    const order = (id: string, createdAt: string) => ({ id, contactId: "ann", createdAt, total: 40, currency: "EUR" as const, status: "placed" as const });
    await store.recordOrders([order("1", "2024-01-10T10:00:00Z"), order("2", "2024-03-10T10:00:00Z")]);
    await runNightlyLocally(store, NOW - 86_400_000);
    await store.recordOrder(order("3", "2024-06-29T10:00:00Z"));
    const event = sample<{ Records: { dynamodb: Record<string, unknown> }[] }>("dynamodb-stream");
    const keys = { PK: { S: "CONTACT#ann" }, SK: { S: "PROFILE" } };
    for (const record of event.Records) Object.assign(record.dynamodb, { Keys: keys, NewImage: { ...keys }, ...(record.dynamodb.OldImage ? { OldImage: { ...keys } } : {}) });

    // Act
    const result = await handleContactChanges(store, event, NOW);

    // Assess: both records are the one contact, rescored once; its figures now count the third order
    expect(result).toMatchObject({ batchItemFailures: [], rescored: 1 });
    expect((await store.getScores("ann"))?.orderCount).toBe(3);
  });
});

describe("the importer on an S3 ObjectCreated:Put notification", () => {
  it("reads the bucket and the URL-encoded key of the sample's record, imports the file and writes its report beside it", async () => {
    // Prepare: the published record with our bucket's upload key ("+" is how S3 encodes a space)
    const { store } = await dynalite.newStore();
    const csv = ["order_id,customer_id,created_at,total,currency", "s-1,ann,2024-05-01T10:00:00Z,30,EUR", "s-2,ann,2024-05-03T10:00:00Z,12.5,EUR"].join("\n");
    const s3 = mockClient(S3Client);
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([csv]) }) as never);
    s3.on(PutObjectCommand).resolves({});
    const event = sample<S3Event>("s3-put");
    Object.assign(event.Records[0]!.s3.object, { key: "imports/orders/may+2024%281%29.csv", size: csv.length });

    try {
      // Act
      const report = await importUpload(event.Records[0], { s3: new S3Client({}), store });

      // Assess
      expect(report).toMatchObject({ rows: 2, imported: 2, rejected: 0 });
      expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({ Bucket: "lambda-artifacts-deafc19498e3f2df", Key: "imports/orders/may 2024(1).csv" });
      expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Key).toBe("reports/orders/may 2024(1).csv.json");
      expect((await store.getContact("ann"))!.history).toMatchObject({ orderCount: 2, revenue: 42.5 });
    } finally {
      s3.restore();
    }
  });

  it("refuses the sample as published: its key is not under imports/orders/ or imports/contacts/", async () => {
    // Prepare
    const { store } = await dynalite.newStore();

    // Act
    const refused = await importUpload(sample<S3Event>("s3-put").Records[0], { s3: new S3Client({}), store }).then(() => undefined, (e: unknown) => e as Error);

    // Assess
    expect(refused?.message).toBe("b21b84d653bb07b05b1e6b33684dc11b: not under imports/orders/ or imports/contacts/");
  });
});
