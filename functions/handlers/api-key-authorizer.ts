import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerResult } from "aws-lambda";
import { isKnownApiKey } from "../domain/store/api-keys.js";
import { apiKeyHashes } from "./runtime.js";

let hashes: (() => Promise<string[]>) | undefined;

/** HTTP API Lambda authorizer (simple responses): the `x-api-key` header must hash to a stored key. */
export const handler = async (event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerResult> => {
  hashes ??= apiKeyHashes();
  return { isAuthorized: isKnownApiKey(event.headers?.["x-api-key"], await hashes()) };
};
