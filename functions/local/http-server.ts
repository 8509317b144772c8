import { createServer, type IncomingMessage, type Server } from "node:http";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { isKnownApiKey } from "../domain/store/api-keys.js";
import { MAX_BODY_BYTES } from "../handlers/http/http-json.js";
import { publicRoutes, routes, type HttpDependencies } from "../handlers/http/routes.js";
import { renderReport } from "./report/render-report.js";
import { isReportStore, readReportInput, type ReportOptions } from "./report/store-report.js";

export interface LocalApiOptions extends HttpDependencies {
  apiKeyHashes: readonly string[];
  /** The report's title, currency and workflow funnels for GET /report. */
  report?: ReportOptions;
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
 * goes through the same routes. The API key check behaves as API Gateway's authorizer does: no key
 * → 401, a key that is not ours → 403 (HTTP APIs answer a denied Lambda authorizer with 403).
 */
export function startLocalApi(options: LocalApiOptions, port = 0, host = "127.0.0.1"): Promise<Server> {
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
      const match = routePatterns.map((r) => ({ r, m: req.method === r.method ? r.pattern.exec(url.pathname) : null })).find((x) => x.m);
      if (!match?.m) return send(404, { message: "Not Found" });
      const { r, m } = match;
      if (!publicRoutes.has(r.routeKey)) {
        const key = req.headers["x-api-key"];
        if (typeof key !== "string" || key === "") return send(401, { message: "Unauthorized" });
        if (!isKnownApiKey(key, options.apiKeyHashes)) return send(403, { message: "Forbidden" });
      }
      const body = await readBody(req);
      if (body === undefined) return send(413, { message: "Request Entity Too Large" });
      const event = {
        routeKey: r.routeKey,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")])),
        queryStringParameters: url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : undefined,
        pathParameters: Object.fromEntries(r.names.map((name, i) => [name, decodeURIComponent(m[i + 1]!)])),
        body,
        isBase64Encoded: false,
      } as unknown as APIGatewayProxyEventV2;
      const result = await routes[r.routeKey]!(event, options);
      send(result.statusCode ?? 200, result.body ?? "", (result.headers as Record<string, string>) ?? {});
    } catch (error) {
      send(500, { message: error instanceof Error ? error.message : "internal error" });
    }
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

/** The body as text, or undefined when it is larger than API Gateway would pass on. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES * 4) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
