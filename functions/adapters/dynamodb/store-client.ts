import { once } from "node:events";
import { createRequire } from "node:module";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { sendDirectly, type LocalExchange } from "./local-requests.js";
import { LOCAL_SIGNER } from "../local-signer.js";

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
  if (local) {
    // A local DynamoDB reads neither the user agent (which the SDK rebuilds and escapes per request)
    // nor the Lambda trace header; both are left to AWS's endpoint.
    client.middlewareStack.remove("getUserAgentMiddleware");
    client.middlewareStack.remove("recursionDetectionMiddleware");
  }
  const documents = DynamoDBDocumentClient.from(client, {
    // Optional fields (an e-mail, a first name) are left out of items rather than stored as NULL.
    marshallOptions: { removeUndefinedValues: true },
  });
  // A dynalite thread of this process (startLocalDynamo's requestHandler) takes the document
  // commands' JSON straight from the client (local-requests.ts).
  const exchange = options.requestHandler && directExchanges.get(options.requestHandler);
  if (exchange) sendDirectly(documents, exchange);
  return documents;
}

/** The dynalite threads' request handlers, and how to send them a request's JSON without the SDK's HTTP form. */
const directExchanges = new WeakMap<object, LocalExchange>();

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
  /**
   * For clients in this process, storeClient({ endpoint, requestHandler }): each request goes to the
   * thread's dynalite over a message channel instead of a socket. The SDK serializes, signs, retries
   * and parses as over HTTP, and dynalite checks and answers the same bytes; only the HTTP framing,
   * which cost both threads about a fifth of their time per request, is left out.
   */
  requestHandler: NonNullable<DynamoDBClientConfig["requestHandler"]>;
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
  const requests = new MessageChannel();
  const thread = new Worker(DYNALITE_THREAD, { eval: true, workerData: { dynalitePath, dynaliteOptions, port: options.port ?? 0, requests: requests.port2 }, transferList: [requests.port2] });
  const requestHandler = channelRequestHandler(requests.port1, thread);
  const port = await new Promise<number>((resolve, reject) => {
    thread.once("message", (message: { port: number }) => resolve(message.port));
    thread.once("error", reject);
    thread.once("exit", (code) => reject(new Error(`dynalite stopped before it listened (exit code ${code})`)));
  });
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requestHandler,
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

/** What goes over the channel: a request as the SDK built it, and dynalite's answer. */
interface ChannelRequest {
  id: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}
interface ChannelResponse {
  id: number;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

interface HttpRequestLike {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}
interface HttpResponseLike {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The SDK's HTTP handler interface over the channel to the dynalite thread (see LocalDynamo.requestHandler). */
function channelRequestHandler(port: MessagePort, thread: Worker): LocalDynamo["requestHandler"] {
  const pending = new Map<number, { resolve(answer: ChannelResponse): void; reject(error: Error): void }>();
  let nextId = 0;
  port.on("message", (answer: ChannelResponse) => {
    const waiting = pending.get(answer.id);
    pending.delete(answer.id);
    waiting?.resolve(answer);
  });
  // The thread keeps the process alive while dynalite runs; the port need not.
  port.unref();
  // Once the thread is gone a message would go nowhere: what waits fails, and so does what comes after.
  let stopped: Error | undefined;
  const fail = (error: Error) => {
    stopped ??= error;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  thread.on("error", fail);
  thread.on("exit", (code) => fail(new Error(`dynalite stopped (exit code ${code})`)));
  const post = (request: Omit<ChannelRequest, "id">) =>
    new Promise<ChannelResponse>((resolve, reject) => {
      if (stopped) return reject(stopped);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      port.postMessage({ id, ...request } satisfies ChannelRequest);
    });
  const handler: LocalDynamo["requestHandler"] = {
    metadata: { handlerProtocol: "http/1.1" },
    async handle(request: HttpRequestLike): Promise<{ response: HttpResponseLike }> {
      if (request.query && Object.keys(request.query).length > 0) throw new Error("DynamoDB requests carry no query string");
      const answer = await post({ method: request.method, path: request.path, headers: request.headers, body: requestBody(request.body) });
      return { response: { statusCode: answer.statusCode, headers: answer.headers, body: Buffer.from(answer.body) } };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
  // The headers dynalite checks: the operation, the JSON type, and a signature's shape (LOCAL_SIGNER's).
  directExchanges.set(handler, (operation, body) => {
    const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
    return post({
      method: "POST",
      path: "/",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": `DynamoDB_20120810.${operation}`,
        "x-amz-date": date,
        authorization: `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=unsigned`,
      },
      body,
    });
  });
  return handler;
}

/** The SDK's JSON body: a string, or bytes (read through their buffer: the SDK's byte adapter warns when used as a string). */
function requestBody(body: unknown): string {
  if (body === undefined || body === null) return "";
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  throw new Error(`a DynamoDB request body of type ${typeof body}: only strings and bytes go to the dynalite thread`);
}

/** The worker thread's code (CommonJS, plain JavaScript: it runs without the TypeScript loader). */
const DYNALITE_THREAD = `
const { EventEmitter } = require("node:events");
const { parentPort, workerData } = require("node:worker_threads");
const server = require(workerData.dynalitePath)(workerData.dynaliteOptions);
server.once("error", (error) => { throw error; });
// Requests of this process (LocalDynamo.requestHandler): dynalite's own request listener, given the
// request and answer objects it uses (method, url, headers, data and end; statusCode, setHeader, end).
const answer = server.listeners("request")[0];
workerData.requests.on("message", ({ id, method, path, headers, body }) => {
  const request = new EventEmitter();
  request.method = method;
  request.url = path;
  request.headers = {};
  for (const name of Object.keys(headers)) request.headers[name.toLowerCase()] = headers[name];
  const response = {
    statusCode: 200,
    headers: {},
    setHeader(name, value) { this.headers[name.toLowerCase()] = String(value); },
    end(data) { workerData.requests.postMessage({ id, statusCode: this.statusCode, headers: this.headers, body: data === undefined ? "" : String(data) }); },
  };
  answer(request, response);
  if (body) request.emit("data", Buffer.from(body));
  request.emit("end");
});
server.listen(workerData.port, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
parentPort.once("message", () => {
  server.close((error) => parentPort.postMessage({ error: error ? String(error.message || error) : undefined }));
  // Clients keep their sockets alive; without this the close would wait for them to time out.
  server.closeAllConnections();
});
`;
