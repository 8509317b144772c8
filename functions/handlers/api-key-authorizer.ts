import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerResult } from "aws-lambda";
import { isKnownApiKey } from "../domain/store/api-keys.js";
import { serviceLogger } from "../adapters/logging/logger.js";
import { apiKeyHashes, lambdaHandler } from "./runtime.js";

const logger = serviceLogger("api-key-authorizer");

/**
 * HTTP API Lambda authorizer (simple responses): the `x-api-key` header must hash to a stored key.
 * The stored hashes are read again once their cache (PARAMETER_MAX_AGE_SECONDS) expires.
 */
export const authorizeApiKey =
  (hashes: () => Promise<string[]>) =>
  async (event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerResult> => ({ isAuthorized: isKnownApiKey(event.headers?.["x-api-key"], await hashes()) });

export const handler = lambdaHandler(logger, () => authorizeApiKey(apiKeyHashes()));
