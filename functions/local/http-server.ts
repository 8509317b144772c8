import { createServer, type IncomingMessage, type Server } from "node:http";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { isKnownApiKey } from "../domain/store/api-keys.js";
import { API_THROTTLE, MAX_BODY_BYTES } from "../handlers/http/http-json.js";
import { publicRoutes, routes, type HttpDependencies } from "../handlers/http/routes.js";
import { mailboxPage } from "./local-mailbox.js";
import { renderReport } from "./report/render-report.js";
import { isReportStore, readReportInput, type ReportOptions } from "./report/store-report.js";

export interface LocalApiOptions extends HttpDependencies {
  apiKeyHashes: readonly string[];
  /** The report's title, currency and workflow funnels for GET /report. */
  report?: ReportOptions;
  /** The folder of mail kept by local runs (saveMailbox), shown at GET /mail/; not served when not given. */
  mailbox?: string;
  /**
   * Requests per second per route, steady and burst, as API Gateway's stage throttling (API_THROTTLE
   * by default), on its own clock (Date.now unless a test moves time); false for none.
   */
  throttle?: { ratePerSecond: number; burst: number; clock?: () => number } | false;
}

/**
 * A token bucket: `burst` requests at once, refilled at `ratePerSecond`, which is how API Gateway
 * throttles a route. `take` answers 0 when the request may go, else the whole seconds to wait (the
 * Retry-After of the 429).
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  take(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.at) / 1000) * this.ratePerSecond);
    this.at = Math.max(this.at, now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.ratePerSecond));
  }
}

/** Route keys as API Gateway writes them, matched against a method and path. */
const routePatterns = Object.keys(routes).map((routeKey) => {
  const [method, path] = routeKey.split(" ") as [string, string];
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/\{(\w+)\}/g, (_, name: string) => (names.push(name), "([^/]+)"))}$`);
  return { routeKey, method, pattern, names };
});

/**
 * The HTTP API on localhost: each request becomes the API Gateway v2 event the Lambda gets on AWS and
 * goes through the same routes. Throttling and the API key check behave as API Gateway's do: over a
 * route's rate → 429 (here with Retry-After), no key → 401, a key that is not ours → 403 (HTTP APIs
 * answer a denied Lambda authorizer with 403).
 */
export function startLocalApi(options: LocalApiOptions, port = 0, host = "127.0.0.1"): Promise<Server> {
  const throttle = options.throttle === false ? undefined : { clock: Date.now, ...(options.throttle ?? API_THROTTLE) };
  const buckets = new Map<string, TokenBucket>();
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) => {
      res.writeHead(status, headers);
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      // The report page, read from the store on each request. A local page for a browser, which sends
      // no API key; it shows aggregates only, no contact's data.
      if (req.method === "GET" && url.pathname === "/report") {
        if (!isReportStore(options.store)) return send(404, { message: "this store cannot give a report (it is not the DynamoDB store)" });
        const input = await readReportInput(options.store, { now: options.clock, ...options.report });
        return send(200, renderReport(input), { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      }
      // The mail local runs sent, as kept in the mailbox folder: like /report, a page for a browser on
      // this machine (the server listens on 127.0.0.1), without an API key.
      if (req.method === "GET" && options.mailbox !== undefined && (url.pathname === "/mail" || url.pathname.startsWith("/mail/"))) {
        if (url.pathname === "/mail") return send(301, "", { location: "/mail/" });
        const page = mailboxPage(decodedPathPart(url.pathname.slice("/mail/".length)) ?? "%", options.mailbox);
        return send(page.status, page.body, page.headers);
      }
      const match = routePatterns.map((r) => ({ r, m: req.method === r.method ? r.pattern.exec(url.pathname) : null })).find((x) => x.m);
      if (!match?.m) return send(404, { message: "Not Found" });
      const { r, m } = match;
      if (throttle) {
        let bucket = buckets.get(r.routeKey);
        if (!bucket) buckets.set(r.routeKey, (bucket = new TokenBucket(throttle.ratePerSecond, throttle.burst, throttle.clock())));
        const wait = bucket.take(throttle.clock());
        if (wait > 0) return send(429, { message: "Too Many Requests" }, { "content-type": "application/json", "retry-after": String(wait) });
      }
      if (!publicRoutes.has(r.routeKey)) {
        const key = req.headers["x-api-key"];
        if (typeof key !== "string" || key === "") return send(401, { message: "Unauthorized" });
        if (!isKnownApiKey(key, options.apiKeyHashes)) return send(403, { message: "Forbidden" });
      }
      // A broken escape (%E0) in a path parameter: API Gateway answers 400 before any Lambda runs.
      const parameters = r.names.map((name, i) => [name, decodedPathPart(m[i + 1]!)] as const);
      if (parameters.some(([, value]) => value === undefined)) return send(400, { message: "Bad Request: the path has a broken %-escape" });
      const pathParameters = Object.fromEntries(parameters);
      const body = await readBody(req);
      // The rest of the body is read and dropped after the answer, so the client gets the 413 rather than a reset.
      if (body === undefined) return send(413, { message: "Request Entity Too Large" }, { "content-type": "application/json", connection: "close" });
      const event = {
        routeKey: r.routeKey,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")])),
        queryStringParameters: url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : undefined,
        pathParameters,
        body,
        isBase64Encoded: false,
      } as unknown as APIGatewayProxyEventV2;
      const result = await routes[r.routeKey]!(event, options);
      send(result.statusCode ?? 200, result.body ?? "", (result.headers as Record<string, string>) ?? {});
    } catch (error) {
      send(500, { message: error instanceof Error ? error.message : "internal error" });
    }
  });
  return new Promise((resolve, reject) => {
    // A port in use rejects (EADDRINUSE) rather than crashing the process, so the caller can say which option to change.
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/** A path segment decoded, or undefined when its escapes are broken. */
function decodedPathPart(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/**
 * The body as text, or undefined as soon as it is larger than the routes take (they answer 413 from
 * MAX_BODY_BYTES on; this stops buffering at 4 times that). An oversize body is not buffered, and
 * the stream is left flowing (not destroyed) so that the client can finish sending and read the 413.
 */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES * 4) return void chunks.push(chunk);
      req.off("data", onData).off("end", onEnd);
      chunks.length = 0;
      req.resume();
      resolve(undefined);
    };
    const onEnd = () => resolve(Buffer.concat(chunks).toString("utf8"));
    req.on("data", onData).on("end", onEnd).once("error", reject);
  });
}
