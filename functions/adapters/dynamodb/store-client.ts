import { once } from "node:events";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface StoreClientOptions {
  /** A local DynamoDB (dynalite) such as http://127.0.0.1:4567; AWS's own endpoint when absent. */
  endpoint?: string;
  /** Defaults to AWS_REGION (set in every Lambda), or us-east-1 for a local endpoint. */
  region?: string;
  /** Tries per request, the first included. */
  maxAttempts?: number;
  /** Another HTTP transport: tests pass a fake one to see the SDK's retries at work. */
  requestHandler?: DynamoDBClientConfig["requestHandler"];
}

/**
 * Tries per request. An on-demand table throttles while it scales up to a new peak (an import, the
 * nightly score writes): eight tries with the SDK's exponential backoff span about a minute at worst,
 * which rides out a scale-up instead of failing the import.
 */
export const STORE_MAX_ATTEMPTS = 8;

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * A local DynamoDB (dynalite, DynamoDB Local) checks the Authorization header's shape, not its
 * signature: a header of that shape spares each request the SDK's signing (a copy of the client's
 * config and a chain of HMACs, seconds of CPU over `npm start`).
 */
const LOCAL_SIGNER: NonNullable<DynamoDBClientConfig["signer"]> = {
  sign: async (request, options) => {
    const date = new Date(options?.signingDate ?? Date.now()).toISOString().replace(/[-:]|\.\d{3}/g, "");
    request.headers["x-amz-date"] = date;
    request.headers.authorization = `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/${options?.signingRegion ?? "us-east-1"}/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=unsigned`;
    return request;
  },
};

/**
 * The DynamoDB client every store adapter uses. Adaptive retry mode: besides retrying throttling
 * errors (ProvisionedThroughputExceededException, ThrottlingException) with backoff, the client slows
 * its own sending rate after one, so a bulk import settles at what the table takes rather than
 * spending its retries.
 */
export function storeClient(options: StoreClientOptions = {}): DynamoDBDocumentClient {
  const local = options.endpoint !== undefined && LOCAL_HOSTS.has(new URL(options.endpoint).hostname);
  const client = new DynamoDBClient({
    ...(options.endpoint && { endpoint: options.endpoint }),
    region: options.region ?? process.env.AWS_REGION ?? (options.endpoint ? "us-east-1" : undefined),
    retryMode: "adaptive",
    maxAttempts: options.maxAttempts ?? STORE_MAX_ATTEMPTS,
    // dynalite checks no signature, but the SDK signs every request; fixed credentials spare a laptop
    // the credential provider chain (which would end waiting on an EC2 metadata endpoint).
    ...(local && { credentials: { accessKeyId: "local", secretAccessKey: "local" }, signer: LOCAL_SIGNER }),
    ...(options.requestHandler && { requestHandler: options.requestHandler }),
  });
  // The SDK's logger middleware copies every request and answer through its sensitive-data filter even
  // with no logger configured (seconds of CPU in a local run); no store client is given a logger.
  client.middlewareStack.remove("loggerMiddleware");
  return DynamoDBDocumentClient.from(client, {
    // Optional fields (an e-mail, a first name) are left out of items rather than stored as NULL.
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * Creates the store's table as lib/store-table.ts declares it (PK/SK strings, on demand, a stream of
 * new and old images): for dynalite and tests; on AWS the CDK stack owns the table.
 */
export async function createStoreTable(client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: "PK", AttributeType: "S" },
        { AttributeName: "SK", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "PK", KeyType: "HASH" },
        { AttributeName: "SK", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
    }),
  );
  // A table takes requests once ACTIVE; until then DynamoDB (and dynalite, even with createTableMs 0,
  // for a moment) answers ResourceNotFoundException.
  for (const started = Date.now(); ; ) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE") return;
    if (Date.now() - started > 60_000) throw new Error(`table ${tableName} is still ${Table?.TableStatus} a minute after it was created`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface LocalDynamoOptions {
  /** A fixed port (for a server other processes reach); a free one when absent. */
  port?: number;
  /** A LevelDB directory that keeps the data between runs; in memory when absent. */
  path?: string;
}

export interface LocalDynamo {
  /** http://127.0.0.1:<port>, for storeClient({ endpoint }). */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1 (a free port unless `port` is given), in memory unless `path` is
 * given, with tables ready the moment they are created.
 *
 * It runs in a worker thread of this process: dynalite is CPU-bound JavaScript, and on the main thread
 * it would share one core with the SDK client that calls it (about half the time of each request on
 * each side), so a bulk import runs some 40 % faster this way. The thread loads dynalite with
 * `require` at run time, which also keeps it (and LevelDB) out of Lambda bundles that import this
 * file for storeClient.
 */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const dynalitePath = createRequire(import.meta.url).resolve("dynalite");
  const dynaliteOptions = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path && { path: options.path }) };
  const thread = new Worker(DYNALITE_THREAD, { eval: true, workerData: { dynalitePath, dynaliteOptions, port: options.port ?? 0 } });
  const port = await new Promise<number>((resolve, reject) => {
    thread.once("message", (message: { port: number }) => resolve(message.port));
    thread.once("error", reject);
    thread.once("exit", (code) => reject(new Error(`dynalite stopped before it listened (exit code ${code})`)));
  });
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      (closing ??= (async () => {
        const closed = once(thread, "message");
        thread.postMessage("close");
        const [message] = (await closed) as [{ error?: string }];
        await thread.terminate();
        if (message.error) throw new Error(`dynalite did not close cleanly: ${message.error}`);
      })()),
  };
}

/** The worker thread's code (CommonJS, plain JavaScript: it runs without the TypeScript loader). */
const DYNALITE_THREAD = `
const { parentPort, workerData } = require("node:worker_threads");
const server = require(workerData.dynalitePath)(workerData.dynaliteOptions);
server.once("error", (error) => { throw error; });
server.listen(workerData.port, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
parentPort.once("message", () => {
  server.close((error) => parentPort.postMessage({ error: error ? String(error.message || error) : undefined }));
  // Clients keep their sockets alive; without this the close would wait for them to time out.
  server.closeAllConnections();
});
`;
