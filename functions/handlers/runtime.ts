import type { Logger } from "@aws-lambda-powertools/logger";
import type { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import type { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import type { Context } from "aws-lambda";
import { z } from "zod";
import { storeClient } from "../adapters/dynamodb/store-client.js";
import { DynamoDbStore } from "../adapters/dynamodb/dynamodb-store.js";
import { CouponStore } from "../adapters/dynamodb/coupon-store.js";
import { redactError } from "../adapters/logging/redact.js";
import type { HttpDependencies } from "./http/routes.js";
import { isCurrency } from "../domain/store/money.js";
import type { OrderRules } from "../domain/store/order.js";
import { deployedWorkflows } from "../adapters/files/deployed-workflows.js";
import { BadEnvironmentError, parseEnvironment } from "../adapters/files/bad-environment.js";

/**
 * What a handler reads from its environment, parsed with zod so a mis-deployed function fails at
 * cold start with the variable's name rather than on the first request.
 */
const HandlerEnvironment = z.object({
  TABLE_NAME: z.string().min(1, "TABLE_NAME is not set"),
  DYNAMODB_ENDPOINT: z.url().optional(),
  UNSUBSCRIBE_SECRET_ARN: z.string().min(1).optional(),
  /** Local runs only: the secret itself. */
  UNSUBSCRIBE_SECRET: z.string().min(16).optional(),
  API_KEY_HASHES_PARAMETER: z.string().min(1).optional(),
  /** Local runs only: comma-separated SHA-256 hashes. */
  API_KEY_HASHES: z.string().optional(),
  /** The store's currency, ISO 4217 (deploy parameter storeCurrency); DEFAULT_STORE_CURRENCY when unset. */
  STORE_CURRENCY: z.string().refine(isCurrency, "STORE_CURRENCY is not an ISO 4217 currency").optional(),
  /** The store as its unsubscribe pages name it. */
  STORE_NAME: z.string().min(1).optional(),
  /** Local runs and tests only: the deployed workflows' file (else $LAMBDA_TASK_ROOT/workflows.json, deployed-workflows.ts). */
  WORKFLOWS_FILE: z.string().min(1).optional(),
  LAMBDA_TASK_ROOT: z.string().min(1).optional(),
  /** YYYY-MM-DD: orders before it are refused (deploy parameter earliestOrderDate); 1995-01-01 when unset. */
  EARLIEST_ORDER_DATE: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "EARLIEST_ORDER_DATE must be YYYY-MM-DD").optional(),
});

/** The store's order rules from the handler's environment. */
export function orderRules(env = handlerEnvironment()): Omit<OrderRules, "now"> {
  return { ...(env.STORE_CURRENCY && { storeCurrency: env.STORE_CURRENCY }), ...(env.EARLIEST_ORDER_DATE && { earliestOrderDate: env.EARLIEST_ORDER_DATE }) };
}

export function handlerEnvironment(env: NodeJS.ProcessEnv = process.env) {
  return parseEnvironment(HandlerEnvironment, env);
}

/** Cached across invocations of a warm Lambda: one client, one secret fetch. */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make().catch((error: unknown) => ((value = undefined), Promise.reject(error))));
}

/** The store's table as the handlers see it: on AWS by name, locally at DYNAMODB_ENDPOINT. */
export function tableStore(env = handlerEnvironment()): DynamoDbStore {
  return new DynamoDbStore(storeClient(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}), env.TABLE_NAME);
}

export function httpDependencies(env = handlerEnvironment()): HttpDependencies & { store: DynamoDbStore } {
  const store = tableStore(env);
  const workflows = deployedWorkflows(env);
  return {
    store,
    coupons: new CouponStore(storeClient(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}), env.TABLE_NAME),
    clock: Date.now,
    orderRules: orderRules(env),
    ...(env.STORE_NAME && { storeName: env.STORE_NAME }),
    workflowIds: workflows.map((w) => w.id),
    workflows: { definitions: async () => workflows, enrolments: store },
    unsubscribeSecret: unsubscribeSecret(env),
  };
}

/**
 * How long a warm Lambda keeps a secret or parameter it fetched (Powertools Parameters' cache). The
 * two caches add up: a key revoked just after this cache was filled is still in it for this long, and
 * an answer the authorizer gave at its last moment is kept by API Gateway for its result cache
 * (lib/ingestion-api.ts, 30 s) — so each is half a minute, and a revoked key is refused within 60 s.
 */
export const PARAMETER_MAX_AGE_SECONDS = 30;

// Loaded on first use: locally (the env variables) the providers and their SDK clients are never needed.
let secrets: Promise<SecretsProvider> | undefined;
let parameters: Promise<SSMProvider> | undefined;

/** The unsubscribe links' secret: Secrets Manager on AWS, cached for PARAMETER_MAX_AGE_SECONDS; the env variable locally. */
export function unsubscribeSecret(env: { UNSUBSCRIBE_SECRET?: string | undefined; UNSUBSCRIBE_SECRET_ARN?: string | undefined } = handlerEnvironment(), provider?: SecretsProvider): () => Promise<string> {
  return async () => {
    if (env.UNSUBSCRIBE_SECRET) return env.UNSUBSCRIBE_SECRET;
    if (!env.UNSUBSCRIBE_SECRET_ARN) throw new BadEnvironmentError("neither UNSUBSCRIBE_SECRET_ARN nor UNSUBSCRIBE_SECRET is set");
    const secret = await (provider ?? (await (secrets ??= import("@aws-lambda-powertools/parameters/secrets").then((m) => new m.SecretsProvider())))).get(env.UNSUBSCRIBE_SECRET_ARN, { maxAge: PARAMETER_MAX_AGE_SECONDS });
    if (typeof secret !== "string" || secret.length === 0) throw new Error("the unsubscribe secret is empty");
    return secret;
  };
}

/**
 * The stored API key hashes: an SSM parameter on AWS (a StringList of SHA-256 hex digests), read again
 * once PARAMETER_MAX_AGE_SECONDS have passed, so a key taken out of the list stops working; an env
 * variable locally.
 */
export function apiKeyHashes(env = handlerEnvironment(), provider?: SSMProvider): () => Promise<string[]> {
  return async () => {
    if (env.API_KEY_HASHES !== undefined) return env.API_KEY_HASHES.split(",").filter(Boolean);
    if (!env.API_KEY_HASHES_PARAMETER) throw new BadEnvironmentError("neither API_KEY_HASHES_PARAMETER nor API_KEY_HASHES is set");
    const value = await (provider ?? (await (parameters ??= import("@aws-lambda-powertools/parameters/ssm").then((m) => new m.SSMProvider())))).get(env.API_KEY_HASHES_PARAMETER, { maxAge: PARAMETER_MAX_AGE_SECONDS });
    return (value ?? "").split(",").filter(Boolean);
  };
}

/**
 * The one way a handler module exports its Lambda entry point. The handler is made on the first
 * invocation: importing a handler module (the local runner does, for its factory) must not need the
 * Lambda's environment. Each invocation adds the Lambda context to the handler's logger (request id,
 * function name and version, cold start), and what it throws loses any e-mail address on the way out
 * (the runtime logs it, Step Functions keeps it).
 */
export function lambdaHandler<E, R>(logger: Logger, make: () => (event: E) => Promise<R>): (event: E, context?: Context) => Promise<R> {
  let handle: ((event: E) => Promise<R>) | undefined;
  return async (event: E, context?: Context) => {
    if (context) logger.addContext(context);
    try {
      return await (handle ??= make())(event);
    } catch (error) {
      throw redactError(error);
    }
  };
}
