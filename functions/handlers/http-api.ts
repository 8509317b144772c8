import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { json } from "./http/http-json.js";
import { routes, type HttpDependencies } from "./http/routes.js";
import { serviceLogger } from "../adapters/logging/logger.js";
import { httpDependencies, lambdaHandler } from "./runtime.js";
import { segmentExports } from "../domain/segments/segment-export-job.js";
import { segmentExportPorts } from "./segment-export.js";

/** The API's dependencies, with the segment export jobs when the stack gave this Lambda an exports bucket. */
function apiDependencies(): HttpDependencies {
  const deps = httpDependencies();
  if (!process.env.EXPORT_BUCKET) return deps;
  return { ...deps, exports: segmentExports(segmentExportPorts(deps.store)) };
}

const logger = serviceLogger("http-api");

/** The store's HTTP API: API Gateway v2 routes each request here by its route key. */
export const handler = lambdaHandler(logger, () => {
  const dependencies = apiDependencies();
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const route = routes[event.routeKey];
    return route ? route(event, dependencies) : json(404, { error: `no route ${event.routeKey}` });
  };
});
