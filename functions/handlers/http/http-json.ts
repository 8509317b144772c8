import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { z } from "zod";
import { kindOf } from "../../domain/input/field-messages.js";
import { serviceLogger } from "../../adapters/logging/logger.js";

const logger = serviceLogger("http-api");

/** Bodies above this are refused before parsing: no order or contact is that large. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * What each route takes, steadily and in a burst, before it answers 429: API Gateway's stage
 * throttling on AWS (lib/ingestion-api.ts), a token bucket per route locally (functions/local/http-server.ts).
 * A store's platform sends one request per order or contact change; bulk loads go through the CSV import.
 */
export const API_THROTTLE = { ratePerSecond: 100, burst: 200 } as const;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.error ?? status));
  }
}

export function json(status: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** The request body as text, whatever API Gateway did to it (base64 for binary media types). */
export function bodyText(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): string {
  const raw = event.body ?? "";
  const text = event.isBase64Encoded ? Buffer.from(raw, "base64").toString("utf8") : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new HttpError(413, { error: `body is larger than ${MAX_BODY_BYTES} bytes` });
  return text;
}

/**
 * Parses a JSON body with a zod schema; a bad body is a 400 that names each field and says what is
 * wrong with it: `{"error":"invalid body","fields":[{"field":"total","message":"must be a number"}]}`.
 */
export function parseBody<S extends z.ZodType>(schema: S, event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): z.output<S> {
  const text = bodyText(event);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new HttpError(400, { error: "body is not JSON" });
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new HttpError(400, {
      error: "invalid body",
      fields: fieldIssues(parsed.error, data),
    });
  }
  return parsed.data;
}

/** One entry per field: a field the body should not have is named, not reported as "(body)". */
function fieldIssues(error: z.ZodError, body: unknown): { field: string; message: string }[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ field: at ? `${at}.${key}` : key, message: "is not a field of this body" }));
    if (!at && issue.code === "invalid_type") return [{ field: "(body)", message: `expected an object, got ${kindOf(body)}` }];
    return [{ field: at || "(body)", message: issue.message }];
  });
}

/** Runs a route; an HttpError becomes its response, anything else a 500 that leaks nothing. */
export async function respond(route: () => Promise<APIGatewayProxyStructuredResultV2>): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    return await route();
  } catch (error) {
    if (error instanceof HttpError) return json(error.status, error.body);
    logger.error("request failed", { error });
    return json(500, { error: "internal error" });
  }
}
