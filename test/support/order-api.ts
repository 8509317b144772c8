import type { AddressInfo } from "node:net";
import { hashApiKey } from "../../functions/domain/store/api-keys.js";
import type { StoreData } from "../../functions/domain/store/ports.js";
import { startLocalApi } from "../../functions/local/http-server.js";

/** The API key the order tests send. */
export const ORDER_API_KEY = "test-key-0123456789";

/** A JSON answer: its status and body. */
export interface JsonAnswer {
  status: number;
  body: Record<string, unknown> & { fields?: { field: string; message: string }[] };
}

/**
 * The HTTP API on localhost over `store`, as a store's platform calls it: orders judged by a store in
 * GBP at `now`, no throttling. `send` posts (or gets, without a body) JSON with the API key.
 */
export async function startOrderApi(store: StoreData, now: number) {
  const server = await startLocalApi({ store, clock: () => now, orderRules: { storeCurrency: "GBP" }, unsubscribeSecret: async () => "s".repeat(20), apiKeyHashes: [hashApiKey(ORDER_API_KEY)], throttle: false });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const send = async (path: string, body?: unknown, method = body === undefined ? "GET" : "POST"): Promise<JsonAnswer> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { "x-api-key": ORDER_API_KEY, ...(body !== undefined && { "content-type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as JsonAnswer["body"] };
  };
  return { base, send, postOrder: (body: unknown) => send("/orders", body), close: () => server.close() };
}
