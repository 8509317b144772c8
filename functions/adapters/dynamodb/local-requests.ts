import * as dynamodb from "@aws-sdk/client-dynamodb";
import { DynamoDBServiceException, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClientCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { marshall, unmarshall, type marshallOptions, type unmarshallOptions } from "@aws-sdk/util-dynamodb";

/**
 * A DynamoDB operation's JSON request sent to a local DynamoDB in this process, and its answer, as
 * the wire carries them (e.g. the dynalite thread's message channel, store-client.ts).
 */
export type LocalExchange = (operation: string, body: string) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

/** The operations the store's adapters send through the document client; anything else goes through the SDK as before. */
const DIRECT_OPERATIONS = new Set(["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem"]);

type KeyNodes = Record<string, unknown> | unknown[] | null;
interface DocumentCommand {
  input: Record<string, unknown>;
  inputKeyNodes: KeyNodes;
  outputKeyNodes: KeyNodes;
  clientCommand: { schema?: readonly unknown[] };
}

/**
 * Makes `client` send its document commands (Get, Put, Update, Delete, Query, Scan, BatchGet,
 * BatchWrite) straight to `exchange`: the same marshalling (util-dynamodb with the client's own
 * options, over the command's own key paths), the same JSON on the wire, the same answer and errors
 * (the SDK's exception classes, ConditionalCheckFailedException with the item), without the SDK's
 * per-request middleware (endpoint resolution, retries, signing, schema serde), about a millisecond of
 * the main thread per request that a local DynamoDB in this process does not need. So does the
 * client's own GetItemCommand (attribute values as the wire has them). Other commands, and sends
 * with options or a callback, go through the SDK.
 */
export function sendDirectly(client: DynamoDBDocumentClient, exchange: LocalExchange): void {
  const viaSdk = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const translate = (client.config as { translateConfig?: { marshallOptions?: marshallOptions; unmarshallOptions?: unmarshallOptions } }).translateConfig ?? {};
  // The document client's defaults (lib-dynamodb, addMarshallingMiddleware).
  const toWire: marshallOptions = { ...translate.marshallOptions, convertTopLevelContainer: translate.marshallOptions?.convertTopLevelContainer ?? true };
  const fromWire: unmarshallOptions = { ...translate.unmarshallOptions, convertWithoutMapWrapper: translate.unmarshallOptions?.convertWithoutMapWrapper ?? true };
  const marshallValue = (value: unknown) => marshall(value as Record<string, unknown>, toWire);
  const unmarshallValue = (value: unknown) => unmarshall(value as Record<string, AttributeValue>, fromWire);
  const unmarshallBinary = (value: unknown) => unmarshallValue(sdkAttribute(value as AttributeValue));
  const send = async (command: DocumentCommand, operation: string) => {
    const input = processKeys(command.input, marshallValue, command.inputKeyNodes);
    const answer = await exchange(operation, wireJson(input));
    const $metadata = { httpStatusCode: answer.statusCode, requestId: answer.headers["x-amzn-requestid"], extendedRequestId: undefined, cfId: undefined, attempts: 1, totalRetryDelay: 0 };
    if (answer.statusCode !== 200) throw serviceError(answer.statusCode, answer.body, $metadata);
    const output = answer.body ? (JSON.parse(answer.body) as Record<string, unknown>) : {};
    return { ...processKeys(output, hasBinary(answer.body) ? unmarshallBinary : unmarshallValue, command.outputKeyNodes), $metadata };
  };
  // A client command's input is already the wire's attribute values (bytes as Uint8Array); so is its answer.
  const sendWire = async (command: { input: unknown }, operation: string) => {
    const answer = await exchange(operation, wireJson(command.input));
    const $metadata = { httpStatusCode: answer.statusCode, requestId: answer.headers["x-amzn-requestid"], extendedRequestId: undefined, cfId: undefined, attempts: 1, totalRetryDelay: 0 };
    if (answer.statusCode !== 200) throw serviceError(answer.statusCode, answer.body, $metadata);
    const output = answer.body ? (JSON.parse(answer.body) as { Item?: Record<string, AttributeValue> }) : {};
    return { ...output, ...(output.Item && hasBinary(answer.body) && { Item: sdkAttributes(output.Item) }), $metadata };
  };
  client.send = ((command: unknown, ...rest: unknown[]) => {
    if (rest.some((arg) => arg !== undefined)) return viaSdk(command, ...rest);
    // The client's own GetItem (a state machine's DynamoDB GetItem task, local-workflows.ts).
    if (command instanceof dynamodb.GetItemCommand) return sendWire(command, "GetItem");
    if (!(command instanceof DynamoDBDocumentClientCommand)) return viaSdk(command);
    const document = command as unknown as DocumentCommand;
    const operation = document.clientCommand.schema?.[2];
    if (typeof operation !== "string" || !DIRECT_OPERATIONS.has(operation)) return viaSdk(command);
    return send(document, operation);
  }) as DynamoDBDocumentClient["send"];
}

// ---- the document client's key paths (lib-dynamodb's processObj, which it does not export) ----
// A command names where attribute values sit: null (this value), {} or [] (every member), "*" (every
// member, one level down), or named members.

function processObj(obj: unknown, process: (value: unknown) => unknown, keyNodes: unknown): unknown {
  if (obj === undefined) return undefined;
  if (keyNodes == null) return process(obj);
  const keys = Object.keys(keyNodes);
  if (keys.length === 0) return processAll(obj, process);
  if (keys.length === 1 && keys[0] === "*") {
    const next = (keyNodes as Record<string, unknown>)["*"];
    const out: Record<string, unknown> | unknown[] = Array.isArray(obj) ? [] : {};
    for (const [k, v] of Object.entries(obj as object)) if (typeof v !== "function") (out as Record<string, unknown>)[k] = processObj(v, process, next);
    return out;
  }
  return processKeys(obj as Record<string, unknown>, process, keyNodes as Record<string, unknown>);
}

function processKeys(obj: Record<string, unknown>, process: (value: unknown) => unknown, keyNodes: KeyNodes): Record<string, unknown> {
  if (keyNodes == null || Array.isArray(keyNodes)) return processAll(obj, process) as Record<string, unknown>;
  let out: Record<string, unknown>;
  if (Array.isArray(obj)) out = obj.filter((item) => typeof item !== "function") as unknown as Record<string, unknown>;
  else {
    out = {};
    for (const [k, v] of Object.entries(obj)) if (typeof v !== "function") out[k] = v;
  }
  for (const [key, nodes] of Object.entries(keyNodes)) {
    if (typeof obj[key] === "function") continue;
    const processed = processObj(obj[key], process, nodes);
    if (processed !== undefined && typeof processed !== "function") out[key] = processed;
  }
  return out;
}

function processAll(obj: unknown, process: (value: unknown) => unknown): unknown {
  if (Array.isArray(obj)) return obj.filter((item) => typeof item !== "function").map((item) => processObj(item, process, null));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj as object)) {
    if (typeof v === "function") continue;
    const processed = processObj(v, process, null);
    if (processed !== undefined && typeof processed !== "function") out[k] = processed;
  }
  return out;
}

// ---- binary attributes: bytes in the SDK's form, base64 on the wire ----
// `"B":{` and `"BS":[{` can only be bytes (a JSON string escapes its quotes), so the common request
// without binary is serialized once, with no replacer.

function wireJson(input: unknown): string {
  const json = JSON.stringify(input);
  if (!json.includes('"B":{') && !json.includes('"BS":[{')) return json;
  return JSON.stringify(input, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64") : value;
  });
}

/** Whether an answer holds bytes (B or BS attributes), which the SDK's form has as Uint8Array. */
const hasBinary = (body: string) => body.includes('"B":"') || body.includes('"BS":[');

/** Attribute values as the wire has them (bytes in base64) to the SDK's form (bytes as Uint8Array). */
function sdkAttributes(values: Record<string, AttributeValue>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(values)) out[k] = sdkAttribute(v);
  return out;
}

function sdkAttribute(value: AttributeValue): AttributeValue {
  const bytes = (b: unknown) => new Uint8Array(Buffer.from(String(b), "base64"));
  if (value.B !== undefined) return { B: bytes(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(bytes) };
  if (value.M !== undefined) return { M: sdkAttributes(value.M) };
  if (value.L !== undefined) return { L: value.L.map(sdkAttribute) };
  return value;
}

// ---- errors: the SDK's classes, as its JSON protocol builds them (@aws-sdk/core, handleError) ----

type ServiceExceptionClass = new (options: Record<string, unknown>) => DynamoDBServiceException;
const modeledErrors = new Map<string, ServiceExceptionClass>(
  (Object.entries(dynamodb) as [string, unknown][]).filter(
    (entry): entry is [string, ServiceExceptionClass] => typeof entry[1] === "function" && entry[1].prototype instanceof DynamoDBServiceException,
  ),
);

function serviceError(statusCode: number, body: string, $metadata: DynamoDBServiceException["$metadata"]): DynamoDBServiceException {
  let data: Record<string, unknown> = {};
  try {
    data = body ? (JSON.parse(body) as Record<string, unknown>) : {};
  } catch {
    // Not JSON: the status alone says what happened.
  }
  const name = String(data.__type ?? statusCode).split("#").pop()!;
  const Modeled = modeledErrors.get(name);
  const fault = statusCode < 500 ? "client" : "server";
  const error = Modeled ? new Modeled({}) : new DynamoDBServiceException({ name, $fault: fault, $metadata });
  Object.assign(error, { $metadata, $fault: Modeled ? error.$fault : fault, message: data.message ?? data.Message ?? "UnknownError" });
  if (data.Item && typeof data.Item === "object" && hasBinary(body)) (error as { Item?: unknown }).Item = sdkAttributes(data.Item as Record<string, AttributeValue>);
  // What else the answer carries (__type, …), as the SDK's decorateServiceException adds it.
  for (const [k, v] of Object.entries(data)) {
    const current = (error as unknown as Record<string, unknown>)[k];
    if (v !== undefined && k !== "Message" && (current === undefined || current === null || current === "")) (error as unknown as Record<string, unknown>)[k] = v;
  }
  return error;
}
